fn main() {
    let (_tx, rx) = csp::chan::<i32>(1);
    let _ = csp::select! {
        recv(&rx) -> v v,
        default => None,
    };
}
