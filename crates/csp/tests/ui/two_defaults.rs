fn main() {
    let (_tx, rx) = csp::chan::<i32>(1);
    csp::select! {
        recv(&rx) => {}
        default => {}
        default => {}
    }
}
