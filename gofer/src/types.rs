//! The values that cross the gofer protocol: node handles, attributes, directory
//! entries, filesystem statistics.

/// A handle to a node (file, directory, symlink, ...) held by the gofer for the
/// sentry. Released with [`crate::Client::close`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fid(pub u64);

/// A point in time as `struct timespec` carries it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

/// The attributes of a node (`struct stat` of the host, unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attr {
    pub ino: u64,
    pub dev: u64,
    /// File type bits (`S_IFMT`) and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Attr {
    /// The file type bits (`mode & S_IFMT`).
    pub fn file_type(&self) -> u32 {
        self.mode & libc::S_IFMT
    }
}

/// How `setattr` changes a timestamp (`utimensat` semantics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeSet {
    /// Leave it alone (`UTIME_OMIT`).
    #[default]
    Omit,
    /// The gofer's current time (`UTIME_NOW`).
    Now,
    /// This time.
    At { sec: i64, nsec: u32 },
}

/// The changes of one `setattr`; `None`/`Omit` fields are left alone. They are
/// applied in the order owner, mode, size, times (chown clears set-id bits first;
/// truncation updates mtime before an explicit one is set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: TimeSet,
    pub mtime: TimeSet,
}

/// One directory entry. `.` and `..` are never returned: the sentry's VFS makes
/// its own (the root's `..` is not the host's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dirent {
    pub ino: u64,
    /// Pass as `offset` to `readdir` to continue after this entry.
    pub next_offset: u64,
    /// `DT_*` type.
    pub kind: u8,
    pub name: Vec<u8>,
}

/// `struct statfs` of the filesystem holding a node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: [i32; 2],
    pub namelen: u64,
    pub frsize: u64,
    pub flags: u64,
}
