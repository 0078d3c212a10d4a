//! "Go Concurrency Patterns: Pipelines and cancellation" (go.dev/blog/pipelines),
//! ported: a `gen` → `sq` → `merge` pipeline that stops early through a
//! context, then the bounded-parallelism MD5 of a file set.
//!
//! ```go
//! func sq(done <-chan struct{}, in <-chan int) <-chan int {
//!     out := make(chan int)
//!     go func() {
//!         defer close(out)
//!         for n := range in {
//!             select {
//!             case out <- n * n:
//!             case <-done:
//!                 return
//!             }
//!         }
//!     }()
//!     return out
//! }
//!
//! func MD5All(root string) (map[string][md5.Size]byte, error) {
//!     done := make(chan struct{})
//!     defer close(done)
//!     paths, errc := walkFiles(done, root)
//!     c := make(chan result)
//!     var wg sync.WaitGroup
//!     wg.Add(numDigesters)
//!     for i := 0; i < numDigesters; i++ {
//!         go func() { digester(done, paths, c); wg.Done() }()
//!     }
//!     go func() { wg.Wait(); close(c) }()
//!     m := make(map[string][md5.Size]byte)
//!     for r := range c {
//!         if r.err != nil {
//!             return nil, r.err
//!         }
//!         m[r.path] = r.sum
//!     }
//!     if err := <-errc; err != nil {
//!         return nil, err
//!     }
//!     return m, nil
//! }
//! ```
//!
//! The blog's `done` channel is a context here (`ctx.done()` in `select!`,
//! closed by the cancel guard when `md5_all` returns, Go's `defer
//! close(done)`); the file system is an in-memory file set, where a file
//! marked unreadable is the early error that cancels the rest.
//! Run: `cargo run --example pipelines`.

use std::collections::BTreeMap;

use csp::context::{self, Context};
use csp::prelude::*;

/// How many digester goroutines read files at once (the blog's
/// `numDigesters`).
pub const DIGESTERS: usize = 4;

/// Sends `nums` on the returned channel, then closes it; stops early when
/// `ctx` is done.
pub fn gen(ctx: &Context, nums: Vec<u64>) -> Receiver<u64> {
    let (tx, rx) = chan(0);
    let ctx = ctx.clone();
    go(async move {
        for n in nums {
            select! {
                send(&tx, n) -> _ => {},
                recv(ctx.done()) -> _ => return,
            }
        }
    });
    rx
}

/// Squares what arrives on `input` until it closes or `ctx` is done.
pub fn sq(ctx: &Context, input: Receiver<u64>) -> Receiver<u64> {
    let (tx, rx) = chan(0);
    let ctx = ctx.clone();
    go(async move {
        while let Some(n) = input.recv().await {
            select! {
                send(&tx, n * n) -> _ => {},
                recv(ctx.done()) -> _ => return,
            }
        }
    });
    rx
}

/// Fans several channels into one, closed when all are drained or `ctx` is
/// done.
pub fn merge(ctx: &Context, inputs: Vec<Receiver<u64>>) -> Receiver<u64> {
    let (tx, rx) = chan(0);
    let wg = WaitGroup::new();
    for input in inputs {
        let (tx, ctx) = (tx.clone(), ctx.clone());
        wg.go(async move {
            while let Some(n) = input.recv().await {
                select! {
                    send(&tx, n) -> _ => {},
                    recv(ctx.done()) -> _ => return,
                }
            }
        });
    }
    go(async move {
        wg.wait().await;
        drop(tx); // Go's close(out) once every output goroutine is done
    });
    rx
}

/// The blog's first consumer that stops early: takes one value from the
/// merged squares of 2 and 3, then returns, cancelling the whole pipeline.
pub async fn first_square() -> u64 {
    let (ctx, _cancel) = context::with_cancel(&context::background());
    let input = gen(&ctx, vec![2, 3]);
    let c1 = sq(&ctx, input.clone());
    let c2 = sq(&ctx, input);
    let out = merge(&ctx, vec![c1, c2]);
    out.recv().await.expect("a first value")
}

/// One file of the in-memory file set: its path and contents, `None` if it
/// cannot be read.
pub type File = (&'static str, Option<&'static [u8]>);

/// The file set the example digests.
pub const FILES: &[File] = &[
    ("a.txt", Some(b"")),
    ("b.txt", Some(b"abc")),
    ("c.txt", Some(b"message digest")),
    (
        "d.txt",
        Some(b"The quick brown fox jumps over the lazy dog"),
    ),
];

/// A file set with an unreadable file among others.
pub const WITH_BAD: &[File] = &[
    ("a.txt", Some(b"")),
    ("secret.txt", None),
    ("b.txt", Some(b"abc")),
    ("c.txt", Some(b"message digest")),
    (
        "d.txt",
        Some(b"The quick brown fox jumps over the lazy dog"),
    ),
];

/// One digested file, or why it could not be read.
type Digest = (&'static str, Result<[u8; 16], String>);

/// MD5 of every file, with at most [`DIGESTERS`] files read at once; the
/// first unreadable file ends it with an error and cancels the rest.
pub async fn md5_all(files: &'static [File]) -> Result<BTreeMap<&'static str, String>, String> {
    let (ctx, _cancel) = context::with_cancel(&context::background()); // defer close(done)
    let (paths_tx, paths) = chan::<File>(0);
    {
        let ctx = ctx.clone();
        go(async move {
            for file in files {
                select! {
                    send(&paths_tx, *file) -> _ => {},
                    recv(ctx.done()) -> _ => return,
                }
            }
        });
    }
    let (results_tx, results) = chan::<Digest>(0);
    for _ in 0..DIGESTERS {
        let (ctx, paths, results_tx) = (ctx.clone(), paths.clone(), results_tx.clone());
        go(async move {
            while let Some((path, data)) = paths.recv().await {
                let digest = match data {
                    Some(data) => Ok(md5(data)),
                    None => Err(format!("open {path}: permission denied")),
                };
                select! {
                    send(&results_tx, (path, digest)) -> _ => {},
                    recv(ctx.done()) -> _ => return,
                }
            }
        });
    }
    drop(results_tx); // closed once every digester is done (Go's wg.Wait(); close(c))
    let mut sums = BTreeMap::new();
    while let Some((path, digest)) = results.recv().await {
        sums.insert(path, hex(&digest?));
    }
    Ok(sums)
}

#[csp::main]
async fn main() {
    println!("first square: {}", first_square().await);
    match md5_all(FILES).await {
        Ok(sums) => {
            for (path, sum) in sums {
                println!("{sum}  {path}");
            }
        }
        Err(err) => println!("error: {err}"),
    }
    if let Err(err) = md5_all(WITH_BAD).await {
        println!("error: {err}");
    }
}

/// Lower-case hex of a digest, as `md5sum` prints it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 (RFC 1321) of `data`: Go's `md5.Sum`, written out so the example
/// needs no crate.
pub fn md5(data: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32)
        .collect();
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    let mut h: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    for block in msg.chunks(64) {
        let m: Vec<u32> = block
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(k[i])
                .wrapping_add(m[g])
                .rotate_left(S[i]);
            (a, d, c) = (d, c, b);
            b = b.wrapping_add(rotated);
        }
        for (h, v) in h.iter_mut().zip([a, b, c, d]) {
            *h = h.wrapping_add(v);
        }
    }
    let mut out = [0; 16];
    for (chunk, word) in out.chunks_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}
