async fn f(rx: csp::Receiver<i32>) {
    csp::select! {
        recieve(&rx) -> v => { let _ = v; }
    }
}

fn main() {}
