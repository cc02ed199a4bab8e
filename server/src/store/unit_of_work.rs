//! One connection per unit of work (an HTTP request): the first function that asks for a connection checks one
//! out, and every later one in the same unit gets the same connection back, so a request pays for one check-out
//! however many domain calls it makes. Outside a unit, each [`Connection`] goes back to the pool when dropped.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Object;

tokio::task_local! {
    /// The connection the running unit of work holds between uses.
    static HELD: RefCell<Option<Object<AsyncPgConnection>>>;
}

/// Runs `work` with a slot for its connection; the connection returns to the pool when `work` ends.
pub(super) async fn scope<F: std::future::Future>(work: F) -> F::Output {
    HELD.scope(RefCell::new(None), work).await
}

/// The connection the current unit of work holds, unless it is broken (then it is dropped, so the pool
/// discards it, and the caller checks out another).
pub(super) fn take_held() -> Option<Connection> {
    let mut object = HELD.try_with(|held| held.borrow_mut().take()).ok()??;
    if super::is_broken(&mut object) {
        return None;
    }
    Some(Connection::new(object))
}

/// A pooled connection. Dropped inside a unit of work, it waits in the unit's slot for the next use (unless
/// the slot is taken, when two are in use at once); outside one, it goes back to the pool.
pub struct Connection {
    object: Option<Object<AsyncPgConnection>>,
}

impl Connection {
    pub(super) fn new(object: Object<AsyncPgConnection>) -> Self {
        Self {
            object: Some(object),
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(object) = self.object.take() else {
            return;
        };
        // Outside a unit of work, or with the slot already filled, the object returns to the pool on drop.
        let _ = HELD.try_with(|held| {
            let mut held = held.borrow_mut();
            if held.is_none() {
                *held = Some(object);
            }
        });
    }
}

impl Deref for Connection {
    type Target = AsyncPgConnection;

    fn deref(&self) -> &AsyncPgConnection {
        // Only `drop` takes the object out.
        self.object.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        self.object.as_deref_mut().unwrap_or_else(|| unreachable!())
    }
}
