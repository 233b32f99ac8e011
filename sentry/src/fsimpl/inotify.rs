//! inotify: an anonymous file whose reads return `struct inotify_event`
//! records for the watches it holds (the watches themselves live in
//! `crate::notify`, keyed by inode).
//!
//! Linux semantics: a read returns whole records only (EINVAL when the buffer
//! cannot hold the next one); an event equal to the last queued one (wd, mask,
//! cookie, name) is dropped; past `MAX_QUEUED_EVENTS` a single IN_Q_OVERFLOW
//! (wd -1) ends the queue. Readable while events are queued.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use abi::Errno;
use abi::types::Stat;
use parking_lot::Mutex;

use crate::fs::FileOps;
use crate::fsimpl::eventfd::anon_stat;
use crate::vfs::InodeKey;
use crate::waiter::Queue;
use crate::waiter::events::*;

/// /proc/sys/fs/inotify/max_queued_events.
pub const MAX_QUEUED_EVENTS: usize = 16384;
/// /proc/sys/fs/inotify/max_user_watches (per instance here).
pub const MAX_WATCHES: usize = 65536;
/// Size of `struct inotify_event` without its name.
pub const EVENT_HEADER: usize = 16;

pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;

/// One queued event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub name: Vec<u8>,
}

impl Event {
    /// `len`: the name, its NUL, padded to the size of the header (0 without a name).
    fn name_len(&self) -> usize {
        if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).next_multiple_of(EVENT_HEADER)
        }
    }

    fn size(&self) -> usize {
        EVENT_HEADER + self.name_len()
    }

    fn encode(&self, out: &mut [u8]) {
        let len = self.name_len();
        out[0..4].copy_from_slice(&self.wd.to_ne_bytes());
        out[4..8].copy_from_slice(&self.mask.to_ne_bytes());
        out[8..12].copy_from_slice(&self.cookie.to_ne_bytes());
        out[12..16].copy_from_slice(&(len as u32).to_ne_bytes());
        let name = &mut out[EVENT_HEADER..EVENT_HEADER + len];
        name.fill(0);
        name[..self.name.len()].copy_from_slice(&self.name);
    }
}

#[derive(Default)]
struct State {
    events: VecDeque<Event>,
    /// Bytes a read of everything would return (FIONREAD).
    bytes: usize,
    /// The watches of this instance: descriptor to inode.
    watches: HashMap<i32, InodeKey>,
    by_inode: HashMap<InodeKey, i32>,
    last_wd: i32,
}

pub struct Inotify {
    /// Identifies the instance's watches in the registry.
    pub id: u64,
    me: Weak<Inotify>,
    state: Mutex<State>,
    queue: Queue,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Inotify {
    pub fn new() -> Arc<Inotify> {
        Arc::new_cyclic(|me| Inotify {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            me: me.clone(),
            state: Mutex::new(State::default()),
            queue: Queue::default(),
        })
    }

    pub fn weak(&self) -> Weak<Inotify> {
        self.me.clone()
    }

    /// Queues an event, merging it with an identical last one.
    pub fn push(&self, event: Event) {
        let mut s = self.state.lock();
        if s.events.len() >= MAX_QUEUED_EVENTS {
            if s.events.back().is_some_and(|e| e.mask == IN_Q_OVERFLOW) {
                return;
            }
            let overflow = Event {
                wd: -1,
                mask: IN_Q_OVERFLOW,
                cookie: 0,
                name: Vec::new(),
            };
            s.bytes += overflow.size();
            s.events.push_back(overflow);
        } else {
            if s.events.back() == Some(&event) {
                return;
            }
            s.bytes += event.size();
            s.events.push_back(event);
        }
        drop(s);
        self.queue.notify(READABLE);
    }

    /// The watch descriptor this instance has on `key`.
    pub fn wd_of(&self, key: InodeKey) -> Option<i32> {
        self.state.lock().by_inode.get(&key).copied()
    }

    /// Records a new watch on `key`: its descriptor (never reused while the
    /// instance lives, as Linux's cyclic allocation does in practice).
    pub fn add_wd(&self, key: InodeKey) -> Result<i32, Errno> {
        let mut s = self.state.lock();
        if s.watches.len() >= MAX_WATCHES {
            return Err(Errno::ENOSPC);
        }
        s.last_wd = s.last_wd.checked_add(1).ok_or(Errno::ENOSPC)?;
        let wd = s.last_wd;
        s.watches.insert(wd, key);
        s.by_inode.insert(key, wd);
        Ok(wd)
    }

    /// The inode watched by `wd`.
    pub fn key_of(&self, wd: i32) -> Option<InodeKey> {
        self.state.lock().watches.get(&wd).copied()
    }

    /// Forgets `wd` and queues its IN_IGNORED.
    pub fn remove_wd(&self, wd: i32) {
        let mut s = self.state.lock();
        if let Some(key) = s.watches.remove(&wd) {
            s.by_inode.remove(&key);
        }
        drop(s);
        self.push(Event {
            wd,
            mask: IN_IGNORED,
            cookie: 0,
            name: Vec::new(),
        });
    }

    /// Moves as many whole events as fit into `buf`.
    fn take(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut s = self.state.lock();
        let Some(first) = s.events.front() else {
            return Err(Errno::EAGAIN);
        };
        if first.size() > buf.len() {
            return Err(Errno::EINVAL);
        }
        let mut n = 0;
        while let Some(e) = s.events.front() {
            let size = e.size();
            if n + size > buf.len() {
                break;
            }
            e.encode(&mut buf[n..n + size]);
            n += size;
            s.bytes -= size;
            s.events.pop_front();
        }
        Ok(n)
    }
}

impl Drop for Inotify {
    fn drop(&mut self) {
        let keys: Vec<InodeKey> = self.state.get_mut().watches.values().copied().collect();
        crate::notify::forget_instance(self.id, &keys);
    }
}

impl FileOps for Inotify {
    fn read(&self, _offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.take(buf)
    }

    fn readiness(&self, mask: u32) -> u32 {
        if self.state.lock().events.is_empty() {
            0
        } else {
            READABLE & mask
        }
    }

    fn wait_queue(&self) -> Option<&Queue> {
        Some(&self.queue)
    }

    fn as_inotify(&self) -> Option<&Inotify> {
        Some(self)
    }

    fn ioctl(&self, request: u32, arg: &mut [u8]) -> Result<u64, Errno> {
        if request != abi::ioctl::FIONREAD || arg.len() < 4 {
            return Err(Errno::ENOTTY);
        }
        let n = self.state.lock().bytes as i32;
        arg[..4].copy_from_slice(&n.to_ne_bytes());
        Ok(0)
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("inotify")
    }

    fn stat(&self) -> Result<Stat, Errno> {
        Ok(anon_stat())
    }

    fn seekable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(wd: i32, mask: u32, name: &[u8]) -> Event {
        Event {
            wd,
            mask,
            cookie: 0,
            name: name.to_vec(),
        }
    }

    #[test]
    fn records_are_whole_padded_and_merged() {
        let i = Inotify::new();
        i.push(ev(1, 2, b"abc"));
        i.push(ev(1, 2, b"abc"));
        i.push(ev(1, 2, b""));
        let mut b = [0u8; 64];
        assert_eq!(i.take(&mut b[..16]), Err(Errno::EINVAL));
        assert_eq!(i.readiness(!0), READABLE);
        // 16 + 16 (name padded) and 16: the duplicate was merged.
        assert_eq!(i.take(&mut b[..40]), Ok(32));
        assert_eq!(u32::from_ne_bytes(b[12..16].try_into().unwrap()), 16);
        assert_eq!(&b[16..20], b"abc\0");
        assert_eq!(i.take(&mut b), Ok(16));
        assert_eq!(i.take(&mut b), Err(Errno::EAGAIN));
    }

    #[test]
    fn overflow_is_queued_once() {
        let i = Inotify::new();
        for n in 0..MAX_QUEUED_EVENTS + 5 {
            i.push(ev(1, 2, n.to_string().as_bytes()));
        }
        let s = i.state.lock();
        assert_eq!(s.events.len(), MAX_QUEUED_EVENTS + 1);
        assert_eq!(s.events.back().unwrap().mask, IN_Q_OVERFLOW);
    }
}
