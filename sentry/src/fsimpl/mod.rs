//! Filesystem implementations, outside the VFS core.

pub mod devfs;
pub mod devpts;
pub mod epoll;
pub mod eventfd;
pub mod gofer;
pub mod inotify;
pub mod overlay;
pub mod pidfd;
pub mod pipe;
pub mod proc;
pub mod signalfd;
pub mod sys;
pub mod timerfd;
pub mod tmpfs;
pub mod tty;
