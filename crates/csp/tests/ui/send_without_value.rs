fn main() {
    let (tx, _rx) = csp::chan::<i32>(1);
    csp::select! {
        send(&tx) => {}
        default => {}
    }
}
