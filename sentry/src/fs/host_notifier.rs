//! The host-FD notifier: one host epoll instance and one sentry thread that
//! turns host readiness changes into notifications of the host files' wait
//! queues. Tasks never sleep in a host call on a host descriptor: they check
//! readiness without waiting and sleep on the queue, where signals reach them.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use crate::host;
use crate::waiter::Queue;

struct Notifier {
    epfd: i32,
    queues: Mutex<HashMap<i32, Arc<Queue>>>,
}

static NOTIFIER: OnceLock<Option<Notifier>> = OnceLock::new();

fn notifier() -> Option<&'static Notifier> {
    NOTIFIER
        .get_or_init(|| {
            let epfd = host::epoll_create()
                .inspect_err(|e| tracing::warn!("host-fd notifier: epoll_create: {e}"))
                .ok()?;
            std::thread::Builder::new()
                .name("host-fd-notifier".into())
                .spawn(move || run(epfd))
                .inspect_err(|e| tracing::warn!("host-fd notifier: {e}"))
                .ok()?;
            Some(Notifier {
                epfd,
                queues: Mutex::new(HashMap::new()),
            })
        })
        .as_ref()
}

fn run(epfd: i32) {
    let mut events = Vec::new();
    loop {
        match host::epoll_wait(epfd, &mut events) {
            Ok(()) => {}
            Err(abi::Errno::EINTR) => continue,
            Err(e) => {
                tracing::error!("host-fd notifier: epoll_wait: {e}");
                return;
            }
        }
        let Some(n) = NOTIFIER.get().and_then(Option::as_ref) else {
            continue;
        };
        for &(fd, ev) in &events {
            let queue = n.queues.lock().get(&fd).cloned();
            if let Some(q) = queue {
                q.notify(ev);
            }
        }
    }
}

/// The wait queue for host `fd`, watched from now on (edge-triggered: every
/// change is a notification). `None` when the host cannot poll it (regular
/// files, which are always ready).
pub fn watch(fd: i32) -> Option<Arc<Queue>> {
    let n = notifier()?;
    let mut queues = n.queues.lock();
    if let Some(q) = queues.get(&fd) {
        return Some(q.clone());
    }
    let events = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
    if let Err(e) = host::epoll_add(n.epfd, fd, events) {
        if e != abi::Errno::EPERM {
            tracing::warn!("host-fd notifier: watching fd {fd}: {e}");
        }
        return None;
    }
    let q = Arc::new(Queue::default());
    queues.insert(fd, q.clone());
    Some(q)
}

/// Stops watching host `fd` (before it is closed, so that a later descriptor
/// with the same number starts afresh).
pub fn unwatch(fd: i32) {
    let Some(n) = NOTIFIER.get().and_then(Option::as_ref) else {
        return;
    };
    if n.queues.lock().remove(&fd).is_some() {
        host::epoll_del(n.epfd, fd);
    }
}
