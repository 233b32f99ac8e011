//! epoll: an anonymous file that watches other files' readiness.
//!
//! Each watched (descriptor, file) pair is an item registered on the file's wait
//! queue; a notification puts the item on the ready list (as Linux's rdllist,
//! so events come in the order files became ready) and wakes the epoll's own
//! queue, where `epoll_wait` sleeps. A scan reports the listed items that are
//! still ready: level-triggered ones go back to the end of the list,
//! edge-triggered ones wait for the next notification, one-shot ones are
//! disabled until re-armed with MOD. Items do not keep their files alive: an
//! item whose file was closed everywhere goes away, as on Linux.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Weak};
use std::time::Instant;

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use crate::fs::{FileOps, OpenFile};
use crate::waiter::events::*;
use crate::waiter::{Blocker, Notify, Queue};

pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
/// Input flags that are not events.
const FLAGS: u32 = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET;
/// Linux's limit on epoll instances nested in each other.
const MAX_NESTS: usize = 4;

/// Items are keyed by descriptor number and file, as Linux keys them.
type Key = (i32, usize);

struct ItemState {
    /// What the application asked for, flags included.
    events: u32,
    data: u64,
    /// On the ready list (guarded with the rest, so that a notification racing
    /// with a scan is never lost).
    listed: bool,
    /// A one-shot item that fired: silent until MOD.
    disabled: bool,
}

struct Item {
    key: Key,
    file: Weak<OpenFile>,
    state: Mutex<ItemState>,
    /// The registration on the file's wait queue.
    watch_id: Mutex<Option<u64>>,
    epoll: Weak<Shared>,
}

impl Notify for Item {
    fn notify(&self, events: u32) {
        let Some(e) = self.epoll.upgrade() else {
            return;
        };
        {
            let mut st = self.state.lock();
            if events & (st.events | ALWAYS) == 0 || st.disabled {
                return;
            }
            if !st.listed {
                st.listed = true;
                e.ready.lock().push_back(self.key);
            }
        }
        // Listed or not, waiters (and epolls watching this one) look again.
        e.queue.notify(READABLE);
    }
}

impl Item {
    fn unregister(&self) {
        let id = self.watch_id.lock().take();
        if let (Some(id), Some(file)) = (id, self.file.upgrade())
            && let Some(q) = file.ops.wait_queue()
        {
            q.unregister(id);
        }
    }
}

#[derive(Default)]
struct Shared {
    items: Mutex<BTreeMap<Key, Arc<Item>>>,
    /// Items that may be ready, in the order they became so.
    ready: Mutex<VecDeque<Key>>,
    queue: Queue,
}

/// An epoll instance (the file behind an epoll descriptor).
#[derive(Default)]
pub struct Epoll {
    shared: Arc<Shared>,
}

fn key(fd: i32, file: &Arc<OpenFile>) -> Key {
    (fd, Arc::as_ptr(file) as usize)
}

impl Epoll {
    pub fn new() -> Epoll {
        Epoll::default()
    }

    /// Whether `self` watches `other`, directly or through nested epolls, or
    /// nesting `other` under `self` would be too deep: ELOOP for EPOLL_CTL_ADD.
    pub fn would_loop(&self, other: &Epoll) -> bool {
        fn depth_and_reach(e: &Shared, target: &Shared, depth: usize) -> (usize, bool) {
            if std::ptr::eq(e, target) {
                return (depth, true);
            }
            let items: Vec<_> = e.items.lock().values().cloned().collect();
            let mut deepest = depth;
            for it in items {
                if let Some(f) = it.file.upgrade()
                    && let Some(inner) = f.ops.epoll()
                {
                    let (d, hit) = depth_and_reach(&inner.shared, target, depth + 1);
                    if hit {
                        return (d, true);
                    }
                    deepest = deepest.max(d);
                }
            }
            (deepest, false)
        }
        let (depth, hit) = depth_and_reach(&other.shared, &self.shared, 1);
        hit || depth > MAX_NESTS
    }

    /// EPOLL_CTL_ADD: EEXIST if (fd, file) is watched already.
    pub fn add(&self, fd: i32, file: &Arc<OpenFile>, events: u32, data: u64) -> Result<(), Errno> {
        let queue = file.ops.wait_queue().ok_or(Errno::EPERM)?;
        let mut items = self.shared.items.lock();
        items.retain(|_, it| it.file.strong_count() > 0);
        let k = key(fd, file);
        if items.contains_key(&k) {
            return Err(Errno::EEXIST);
        }
        let item = Arc::new(Item {
            key: k,
            file: Arc::downgrade(file),
            state: Mutex::new(ItemState {
                events,
                data,
                listed: false,
                disabled: false,
            }),
            watch_id: Mutex::new(None),
            epoll: Arc::downgrade(&self.shared),
        });
        *item.watch_id.lock() = Some(queue.register(!0, item.clone()));
        items.insert(k, item.clone());
        drop(items);
        // Ready already: listed at once, as Linux's ep_insert does.
        item.notify(!0);
        Ok(())
    }

    /// EPOLL_CTL_MOD: new events and data, re-armed; ENOENT if not watched.
    pub fn modify(
        &self,
        fd: i32,
        file: &Arc<OpenFile>,
        events: u32,
        data: u64,
    ) -> Result<(), Errno> {
        let item = self
            .shared
            .items
            .lock()
            .get(&key(fd, file))
            .cloned()
            .ok_or(Errno::ENOENT)?;
        let mut st = item.state.lock();
        if st.events & EPOLLEXCLUSIVE != 0 {
            // Linux refuses to modify an exclusive item.
            return Err(Errno::EINVAL);
        }
        st.events = events;
        st.data = data;
        st.disabled = false;
        drop(st);
        item.notify(!0);
        Ok(())
    }

    /// EPOLL_CTL_DEL: ENOENT if not watched.
    pub fn delete(&self, fd: i32, file: &Arc<OpenFile>) -> Result<(), Errno> {
        let k = key(fd, file);
        let item = self.shared.items.lock().remove(&k).ok_or(Errno::ENOENT)?;
        item.unregister();
        self.shared.ready.lock().retain(|r| *r != k);
        Ok(())
    }

    /// Whether a listed item is ready (poll of the epoll itself).
    fn any_ready(&self) -> bool {
        let keys: Vec<Key> = self.shared.ready.lock().iter().copied().collect();
        let items = self.shared.items.lock();
        keys.iter().filter_map(|k| items.get(k)).any(|item| {
            let st = item.state.lock();
            let want = st.events & !FLAGS;
            !st.disabled
                && item
                    .file
                    .upgrade()
                    .is_some_and(|f| f.ops.readiness(want) & (want | POLLERR | POLLHUP) != 0)
        })
    }

    /// Reports up to `max` listed items that are ready (Linux's ep_send_events).
    fn scan(&self, max: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut listed: VecDeque<Key> = std::mem::take(&mut *self.shared.ready.lock());
        let mut again = Vec::new();
        let items = {
            let mut map = self.shared.items.lock();
            map.retain(|_, it| it.file.strong_count() > 0);
            map.clone()
        };
        while out.len() < max {
            let Some(k) = listed.pop_front() else {
                break;
            };
            let Some(item) = items.get(&k) else {
                continue;
            };
            let mut st = item.state.lock();
            st.listed = false;
            let Some(file) = item.file.upgrade() else {
                continue;
            };
            if st.disabled {
                continue;
            }
            let want = st.events & !FLAGS;
            let ready = file.ops.readiness(want) & (want | POLLERR | POLLHUP);
            if ready == 0 {
                continue;
            }
            out.push((ready, st.data));
            if st.events & EPOLLONESHOT != 0 {
                st.disabled = true;
            } else if st.events & EPOLLET == 0 {
                // Level-triggered: still ready, so back at the end of the list.
                st.listed = true;
                again.push(k);
            }
        }
        // What was not looked at stays first; then what was notified meanwhile.
        let mut ready = self.shared.ready.lock();
        let meanwhile = std::mem::take(&mut *ready);
        *ready = listed;
        ready.extend(meanwhile);
        ready.extend(again);
        out
    }

    /// epoll_wait: ready events, waiting until `deadline` (`None`: forever) for
    /// one; an empty list at the deadline.
    pub fn wait(
        &self,
        max: usize,
        deadline: Option<Instant>,
        b: &dyn Blocker,
    ) -> Result<Vec<(u32, u64)>, Errno> {
        let _watch = self.shared.queue.watch(!0, b.waker());
        loop {
            let ready = self.scan(max);
            if !ready.is_empty() {
                return Ok(ready);
            }
            match b.block(deadline) {
                Ok(()) => {}
                Err(Errno::ETIMEDOUT) => return Ok(self.scan(max)),
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        for item in self.shared.items.lock().values() {
            item.unregister();
        }
    }
}

impl FileOps for Epoll {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _offset: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn readiness(&self, mask: u32) -> u32 {
        if self.any_ready() { READABLE & mask } else { 0 }
    }
    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.shared.queue)
    }
    fn epoll(&self) -> Option<&Epoll> {
        Some(self)
    }
    fn anon_name(&self) -> Option<&'static str> {
        Some("[eventpoll]")
    }
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(super::eventfd::anon_stat())
    }
    fn seekable(&self) -> bool {
        false
    }
}
