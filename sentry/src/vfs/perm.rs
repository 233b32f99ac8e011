//! Permission checks from credentials and modes.

use abi::types::Stat;

use super::inode::{S_IFDIR, S_IFMT};
use crate::task::Credentials;

pub const MAY_READ: u32 = 4;
pub const MAY_WRITE: u32 = 2;
pub const MAY_EXEC: u32 = 1;

/// Whether `creds` (effective ids) may access a file with `st` as `want` asks.
/// Root may do anything except execute a file nobody may execute.
pub fn may_access(creds: &Credentials, st: &Stat, want: u32) -> bool {
    may_access_as(creds.euid, creds.egid, &creds.groups, st, want)
}

pub fn may_access_as(uid: u32, gid: u32, groups: &[u32], st: &Stat, want: u32) -> bool {
    if uid == 0 {
        return want & MAY_EXEC == 0 || st.mode & 0o111 != 0 || st.mode & S_IFMT == S_IFDIR;
    }
    let shift = if st.uid == uid {
        6
    } else if st.gid == gid || groups.contains(&st.gid) {
        3
    } else {
        0
    };
    (st.mode >> shift) & want & 7 == want
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(mode: u32, uid: u32, gid: u32) -> Stat {
        Stat {
            mode,
            uid,
            gid,
            ..Default::default()
        }
    }

    #[test]
    fn owner_group_other_and_root() {
        let f = st(0o100640, 10, 20);
        assert!(may_access_as(10, 99, &[], &f, MAY_READ | MAY_WRITE));
        assert!(may_access_as(11, 20, &[], &f, MAY_READ));
        assert!(!may_access_as(11, 20, &[], &f, MAY_WRITE));
        assert!(may_access_as(11, 30, &[20], &f, MAY_READ));
        assert!(!may_access_as(11, 30, &[], &f, MAY_READ));
        assert!(may_access_as(0, 0, &[], &f, MAY_READ | MAY_WRITE));
        assert!(
            !may_access_as(0, 0, &[], &f, MAY_EXEC),
            "root cannot execute a non-executable file"
        );
        assert!(
            may_access_as(0, 0, &[], &st(0o040000, 1, 1), MAY_EXEC),
            "root searches any directory"
        );
    }
}
