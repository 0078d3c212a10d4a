fn main() {
    let (tx, rx) = csp::chan::<i32>(1);
    csp::select! {
        recv(&rx) -> Some(1) => {}
        default => {}
    }
    csp::select! {
        send(&tx, 1) -> Ok(()) => {}
        default => {}
    }
    csp::select! {
        recv(&rx) -> (3 | 4) => {}
        default => {}
    }
}
