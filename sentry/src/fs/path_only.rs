//! Files opened with `O_PATH`: a location and its attributes, no I/O.

use std::sync::Arc;

use abi::Errno;
use abi::types::Stat;

use super::FileOps;
use crate::vfs::Inode;

pub struct PathOnly {
    pub inode: Arc<dyn Inode>,
}

impl FileOps for PathOnly {
    fn read(&self, _: u64, _: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> Result<Stat, Errno> {
        self.inode.stat()
    }
    fn seekable(&self) -> bool {
        false
    }
}
