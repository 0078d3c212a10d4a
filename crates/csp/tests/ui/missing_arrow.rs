fn main() {
    let (_tx, rx) = csp::chan::<i32>(1);
    csp::select! {
        recv(&rx) -> v { let _ = v; }
        default => {}
    }
}
