//! csp-macros: `select!`, `#[csp::main]` and `#[csp::test]`, thin syntax over csp-core.

mod select;

/// Waits on several channel operations and runs the arm of the one that
/// commits: Go's `select` statement.
///
/// ```text
/// select! {
///     recv(rx) -> v => { /* v: Option<T>; None: rx is closed and drained */ }
///     send(tx, value) -> res => { /* res: Result<(), SendError<T>> */ }
///     recv(other) => expression_body,
///     default => { /* no case was ready */ }
/// }
/// ```
///
/// - `recv(rx)` mirrors Go's `case v, ok := <-rx:`; `send(tx, value)` mirrors
///   `case tx <- value:`; `default` mirrors `default:` (at most one). `-> pat`
///   binds the case's outcome (omit it, or write `_`, to ignore it). Arms are
///   separated by optional commas; a body that is not a block ends with `,`.
/// - `rx`/`tx` may be a `&Receiver`/`&Sender`, an owned one (so
///   `recv(after(d))` works), or an `Option` of either: `None` is Go's nil
///   channel, a case that never fires.
/// - Every channel and value expression is evaluated once, before selection,
///   in source order (as in Go). A send value whose case is not chosen is
///   dropped when the chosen arm starts, before its body; so are the other
///   cases, which ends their borrows (a body may set a channel to `None`).
/// - Exactly one case commits; among ready cases the choice is uniformly
///   random. Without `default` the select waits (`.await`, so it must be in
///   `async` code); with `default` it never waits and needs no `async`.
///   `select! {}` waits forever (wait reason `select (no cases)`).
/// - Bodies are inlined: `break`, `continue`, `return`, `?` and `.await` act
///   on the enclosing code. The macro is an expression: all arms have one type.
///
/// # Examples
/// ```
/// # csp::runtime_for_doctest(async {
/// let (tx, rx) = csp::chan::<i32>(1);
/// let (done_tx, done_rx) = csp::chan::<()>(0);
/// let got = csp::select! {
///     send(&tx, 1) -> res => { res.unwrap(); "sent" }
///     recv(&done_rx) => "done",
/// };
/// assert_eq!(got, "sent");
/// let v = csp::select! {
///     recv(&rx) -> v => v,
///     default => None,
/// };
/// assert_eq!(v, Some(1));
/// # drop(done_tx);
/// # });
/// ```
///
/// # Cancel safety
/// Dropping a waiting select (for example inside `tokio::time::timeout`)
/// withdraws all its offers at once: nothing is lost or duplicated.
#[proc_macro]
pub fn select(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    select::expand(input.into()).into()
}
