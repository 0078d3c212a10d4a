//! Loom models of the cancellation tree: every interleaving of a child
//! registering (or cancelling itself, or an `after_func` being stopped)
//! while its parent is cancelled on another thread. Run by `.ci/loom`.

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::{after_func, background, with_cancel, Error};

/// A child registering while the parent is cancelled is cancelled either
/// way (registered then drained, or born cancelled), and the parent's slab
/// ends empty.
#[test]
fn registration_races_cancel() {
    loom::model(|| {
        let (parent, cancel) = with_cancel(&background());
        let p = parent.clone();
        let maker = thread::spawn(move || {
            let (child, guard) = with_cancel(&p);
            (child, guard)
        });
        cancel.cancel();
        let (child, guard) = maker.join().unwrap();
        assert_eq!(child.err(), Some(Error::Canceled));
        assert_eq!(parent.cancel_node().unwrap().child_count(), 0);
        drop(guard);
    });
}

/// A child cancelling itself (and leaving the parent's slab) while the
/// parent is cancelled: both end cancelled, the slab empty, no slot removed
/// twice.
#[test]
fn child_cancel_races_parent_cancel() {
    loom::model(|| {
        let (parent, cancel) = with_cancel(&background());
        let (child, child_cancel) = with_cancel(&parent);
        let (sibling, _sibling_cancel) = with_cancel(&parent);
        let t = thread::spawn(move || child_cancel.cancel());
        cancel.cancel();
        t.join().unwrap();
        assert_eq!(child.err(), Some(Error::Canceled));
        assert_eq!(sibling.err(), Some(Error::Canceled));
        assert_eq!(parent.cancel_node().unwrap().child_count(), 0);
    });
}

/// `stop` racing the cancel: exactly one of "stop returned true" and "the
/// function ran" (under loom the function runs inline in the cancel).
#[test]
fn after_func_stop_races_cancel() {
    loom::model(|| {
        let (ctx, cancel) = with_cancel(&background());
        let ran = Arc::new(AtomicUsize::new(0));
        let stop = after_func(&ctx, {
            let ran = ran.clone();
            move || {
                ran.fetch_add(1, Ordering::SeqCst);
            }
        });
        let t = thread::spawn(move || cancel.cancel());
        let stopped = stop.stop();
        t.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst) + usize::from(stopped), 1);
    });
}
