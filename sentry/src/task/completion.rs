//! A one-shot event one thread waits for (a vfork parent waiting for its child
//! to exec or exit).

use parking_lot::{Condvar, Mutex};

#[derive(Default)]
pub struct Completion {
    done: Mutex<bool>,
    cond: Condvar,
}

impl Completion {
    pub fn complete(&self) {
        *self.done.lock() = true;
        self.cond.notify_all();
    }

    pub fn wait(&self) {
        let mut done = self.done.lock();
        while !*done {
            self.cond.wait(&mut done);
        }
    }
}
