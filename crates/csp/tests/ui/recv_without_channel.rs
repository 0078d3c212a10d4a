fn main() {
    csp::select! {
        recv() => {}
        default => {}
    }
}
