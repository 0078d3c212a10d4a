//! `select!`: a `macro_rules!` front over the `select_in` proc macro that
//! hands it `$crate`, so the expansion reaches csp's internals by whatever
//! path csp was reached through (a renamed dependency, a re-export).

/// Waits on several channel operations and runs the arm of the one that
/// commits: Go's `select` statement.
///
/// ```text
/// select! {
///     recv(&rx) -> v => { /* v: Option<T>; None: rx is closed and drained */ }
///     send(&tx, value) -> res => { /* res: Result<(), SendError<T>> */ }
///     send_from(&tx, &mut slot) -> res => { /* slot: Option<T>, see below */ }
///     recv(&other) => expression_body,
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
///   channel, a case that never fires. In a loop, write `recv(&rx)`: an owned
///   `rx` would be moved into the first iteration's select.
/// - Every channel and value expression is evaluated once, before selection,
///   in source order (as in Go). A send value whose case is not chosen is
///   dropped when the chosen arm starts, before its body; so are the other
///   cases, which ends their borrows (a body may set a channel to `None`).
/// - `send_from(tx, &mut slot)` sends the value in `slot: Option<T>` and, if
///   another case wins, puts it back in `slot` before any body runs: Go
///   copies a send value, so a losing case loses nothing, and this is how a
///   value that is not `Clone` survives a lost race. It takes the value out
///   of `slot` when the select starts; a `None` slot disables the case (Go's
///   nil channel), so `slot` doubles as Go's "pending value" idiom.
/// - The patterns must be irrefutable (`v`, `_`, `(a, b)`, ...): the outcome
///   is already off the channel when it is matched, so `recv(&rx) -> Some(1)`
///   is a compile error; match inside the arm instead.
/// - Exactly one case commits; among ready cases the choice is uniformly
///   random. Without `default` the select waits (`.await`, so it must be in
///   `async` code); with `default` it never waits and needs no `async`, and
///   `default` is taken only if at one instant no case could proceed.
///   `select! {}` waits forever (wait reason `select (no cases)`).
/// - Bodies are inlined: `break`, `continue`, `return`, `?` and `.await` act
///   on the enclosing code (so `break` leaves the enclosing loop, where Go's
///   leaves the select). The macro is an expression: all arms have one type.
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
///
/// // A value that is not `Clone` comes back when another case wins.
/// let (out_tx, _out_rx) = csp::chan::<String>(0); // nobody receives
/// let mut pending = Some(String::from("report"));
/// csp::select! {
///     send_from(&out_tx, &mut pending) => unreachable!(),
///     default => {}
/// }
/// assert_eq!(pending.as_deref(), Some("report"));
/// # drop(done_tx);
/// # });
/// ```
///
/// # Cancel safety
/// Dropping a waiting select (for example inside `tokio::time::timeout`)
/// withdraws all its offers at once: nothing is lost or duplicated.
#[macro_export]
macro_rules! select {
    ($($arms:tt)*) => {
        $crate::__private::select_in! { $crate; $($arms)* }
    };
}
