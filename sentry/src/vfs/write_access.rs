//! Linux's `i_writecount`: per inode, either the descriptions open for writing
//! or the running programs that deny writing (their executables), never both.
//! Opening a running program's executable for writing, or truncating it, is
//! ETXTBSY; so is executing a file open for writing.
//!
//! Counts live in one table keyed by inode identity; each guard gives its
//! count back when dropped (the description closes, the program ends or execs).

use std::collections::BTreeMap;

use abi::Errno;
use parking_lot::Mutex;

use super::inode::InodeKey;

/// Positive: writers; negative: programs denying writes.
static COUNTS: Mutex<BTreeMap<InodeKey, i64>> = Mutex::new(BTreeMap::new());

/// Held by a description open for writing (or by a truncate while it runs).
#[derive(Debug)]
pub struct WriteAccess(InodeKey);

/// Held by a running program for its executable; fork copies it.
#[derive(Debug)]
pub struct DenyWrite(InodeKey);

/// `get_write_access`: ETXTBSY while a program runs the inode.
pub fn get_write_access(key: InodeKey) -> Result<WriteAccess, Errno> {
    let mut counts = COUNTS.lock();
    let n = counts.entry(key).or_insert(0);
    if *n < 0 {
        return Err(Errno::ETXTBSY);
    }
    *n += 1;
    Ok(WriteAccess(key))
}

/// `deny_write_access`: ETXTBSY while the inode is open for writing.
pub fn deny_write_access(key: InodeKey) -> Result<DenyWrite, Errno> {
    let mut counts = COUNTS.lock();
    let n = counts.entry(key).or_insert(0);
    if *n > 0 {
        return Err(Errno::ETXTBSY);
    }
    *n -= 1;
    Ok(DenyWrite(key))
}

fn give_back(key: InodeKey, delta: i64) {
    let mut counts = COUNTS.lock();
    if let Some(n) = counts.get_mut(&key) {
        *n += delta;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

impl Drop for WriteAccess {
    fn drop(&mut self) {
        give_back(self.0, -1);
    }
}

impl Drop for DenyWrite {
    fn drop(&mut self) {
        give_back(self.0, 1);
    }
}

impl Clone for DenyWrite {
    fn clone(&self) -> DenyWrite {
        *COUNTS.lock().entry(self.0).or_insert(0) -= 1;
        DenyWrite(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_and_programs_exclude_each_other() {
        let key = (u64::MAX, 77);
        let w = get_write_access(key).unwrap();
        assert_eq!(deny_write_access(key).unwrap_err(), Errno::ETXTBSY);
        drop(w);
        let d = deny_write_access(key).unwrap();
        let forked = d.clone();
        assert_eq!(get_write_access(key).unwrap_err(), Errno::ETXTBSY);
        drop(d);
        assert_eq!(get_write_access(key).unwrap_err(), Errno::ETXTBSY);
        drop(forked);
        drop(get_write_access(key).unwrap());
        assert!(!COUNTS.lock().contains_key(&key));
    }
}
