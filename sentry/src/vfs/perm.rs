//! Permission checks from credentials and modes (Linux's generic_permission).

use abi::linux as l;
use abi::types::Stat;

use super::inode::{S_IFDIR, S_IFMT};
use crate::task::Credentials;

pub const MAY_READ: u32 = 4;
pub const MAY_WRITE: u32 = 2;
pub const MAY_EXEC: u32 = 1;

/// Whether `creds` (filesystem ids) may access a file with `st` as `want`
/// asks: by the mode bits, or else by capability. CAP_DAC_OVERRIDE allows
/// everything but executing a file nobody may execute; CAP_DAC_READ_SEARCH
/// allows reading files and reading and searching directories.
pub fn may_access(creds: &Credentials, st: &Stat, want: u32) -> bool {
    mode_allows(creds, st, want) || cap_allows(creds, st, want)
}

fn mode_allows(creds: &Credentials, st: &Stat, want: u32) -> bool {
    let shift = if st.uid == creds.fsuid {
        6
    } else if st.gid == creds.fsgid || creds.groups.contains(&st.gid) {
        3
    } else {
        0
    };
    (st.mode >> shift) & want & 7 == want
}

fn cap_allows(creds: &Credentials, st: &Stat, want: u32) -> bool {
    let dac_override = creds.has_cap(l::CAP_DAC_OVERRIDE);
    let read_search = creds.has_cap(l::CAP_DAC_READ_SEARCH);
    if st.mode & S_IFMT == S_IFDIR {
        return (want & MAY_WRITE == 0 && read_search) || dac_override;
    }
    ((want & MAY_EXEC == 0 || st.mode & 0o111 != 0) && dac_override)
        || (want == MAY_READ && read_search)
}

/// Whether `creds` may act as the owner of a file owned by `uid` (chmod,
/// utimes, sticky directories): its fsuid, or CAP_FOWNER.
pub fn owner_or_capable(creds: &Credentials, uid: u32) -> bool {
    creds.fsuid == uid || creds.has_cap(l::CAP_FOWNER)
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

    fn user(uid: u32, gid: u32, groups: Vec<u32>) -> Credentials {
        Credentials::new(uid, gid, groups)
    }

    #[test]
    fn owner_group_other_and_root() {
        let f = st(0o100640, 10, 20);
        assert!(may_access(&user(10, 99, vec![]), &f, MAY_READ | MAY_WRITE));
        assert!(may_access(&user(11, 20, vec![]), &f, MAY_READ));
        assert!(!may_access(&user(11, 20, vec![]), &f, MAY_WRITE));
        assert!(may_access(&user(11, 30, vec![20]), &f, MAY_READ));
        assert!(!may_access(&user(11, 30, vec![]), &f, MAY_READ));
        let root = user(0, 0, vec![]);
        assert!(may_access(&root, &f, MAY_READ | MAY_WRITE));
        assert!(
            !may_access(&root, &f, MAY_EXEC),
            "root cannot execute a non-executable file"
        );
        assert!(
            may_access(&root, &st(0o040000, 1, 1), MAY_EXEC),
            "root searches any directory"
        );
    }

    #[test]
    fn capabilities_not_uid_zero_decide() {
        let f = st(0o100600, 10, 20);
        let mut root = user(0, 0, vec![]);
        root.caps.effective &= !(1 << l::CAP_DAC_OVERRIDE);
        assert!(may_access(&root, &f, MAY_READ), "CAP_DAC_READ_SEARCH reads");
        assert!(!may_access(&root, &f, MAY_WRITE));
        root.caps.effective = 0;
        assert!(!may_access(&root, &f, MAY_READ));
        assert!(!owner_or_capable(&root, 10));
    }
}
