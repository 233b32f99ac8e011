//! Credentials of a task: user and group IDs, supplementary groups and
//! capability sets, with Linux's rules for changing them (setuid(2) and
//! friends, capabilities(7)).
//!
//! A `Credentials` value never changes once shared: a change makes a new one
//! (the caller swaps the `Arc`), as Linux's `prepare_creds`/`commit_creds`.

use abi::Errno;

/// The highest capability Linux knows (CAP_LAST_CAP).
pub const CAP_LAST_CAP: u32 = abi::linux::CAP_LAST_CAP;
/// Every capability.
pub const CAP_FULL: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;

const fn cap_bit(c: u32) -> u64 {
    1 << c
}

/// The capabilities that follow the filesystem uid (capabilities(7), "Effect of
/// user ID changes on capabilities").
const CAP_FS_SET: u64 = cap_bit(abi::linux::CAP_CHOWN)
    | cap_bit(abi::linux::CAP_DAC_OVERRIDE)
    | cap_bit(abi::linux::CAP_DAC_READ_SEARCH)
    | cap_bit(abi::linux::CAP_FOWNER)
    | cap_bit(abi::linux::CAP_FSETID)
    | cap_bit(abi::linux::CAP_LINUX_IMMUTABLE)
    | cap_bit(abi::linux::CAP_MAC_OVERRIDE)
    | cap_bit(abi::linux::CAP_MKNOD);

/// The five capability sets of a thread, one bit per capability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
    pub bounding: u64,
    pub ambient: u64,
}

impl CapSets {
    /// What Linux gives root: everything.
    pub const FULL: CapSets = CapSets {
        effective: CAP_FULL,
        permitted: CAP_FULL,
        inheritable: 0,
        bounding: CAP_FULL,
        ambient: 0,
    };
    /// A non-root user's: nothing, with a full bounding set.
    pub const NONE: CapSets = CapSets {
        effective: 0,
        permitted: 0,
        inheritable: 0,
        bounding: CAP_FULL,
        ambient: 0,
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    /// The uid file accesses are checked with (follows euid unless setfsuid).
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// Supplementary groups, sorted as Linux keeps them.
    pub groups: Vec<u32>,
    pub caps: CapSets,
    /// SECBIT_KEEP_CAPS (`PR_SET_KEEPCAPS`): leaving uid 0 keeps the permitted set.
    pub keep_caps: bool,
}

/// The "no change" value of the set*id calls' arguments.
const UNCHANGED: u32 = u32::MAX;

/// Which IDs a set*id call changes (`UNCHANGED` leaves one alone).
#[derive(Clone, Copy, Debug)]
struct Ids {
    real: u32,
    effective: u32,
    saved: u32,
}

impl Credentials {
    /// Credentials for a process started as `uid`: root gets every capability,
    /// anyone else none.
    pub fn new(uid: u32, gid: u32, groups: Vec<u32>) -> Credentials {
        let caps = if uid == 0 {
            CapSets::FULL
        } else {
            CapSets::NONE
        };
        Credentials::with_caps(uid, gid, groups, caps)
    }

    /// Ambient capabilities outside the permitted or inheritable set are dropped,
    /// as Linux refuses to raise them (runc's raise of an OCI spec's ambient set
    /// fails for those the same way).
    pub fn with_caps(uid: u32, gid: u32, mut groups: Vec<u32>, mut caps: CapSets) -> Credentials {
        groups.sort_unstable();
        caps.ambient &= caps.permitted & caps.inheritable;
        Credentials {
            uid,
            euid: uid,
            suid: uid,
            fsuid: uid,
            gid,
            egid: gid,
            sgid: gid,
            fsgid: gid,
            groups,
            caps,
            keep_caps: false,
        }
    }

    /// Whether the effective set holds capability `cap`.
    pub fn has_cap(&self, cap: u32) -> bool {
        cap <= CAP_LAST_CAP && self.caps.effective & cap_bit(cap) != 0
    }

    /// Whether `gid` is the effective group or a supplementary one.
    pub fn in_group(&self, gid: u32) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }

    /// setuid(2).
    pub fn setuid(&self, uid: u32) -> Result<Credentials, Errno> {
        if uid == UNCHANGED {
            return Err(Errno::EINVAL);
        }
        if self.has_cap(abi::linux::CAP_SETUID) {
            self.set_uids(Ids {
                real: uid,
                effective: uid,
                saved: uid,
            })
        } else if uid == self.uid || uid == self.suid {
            self.set_uids(Ids {
                real: UNCHANGED,
                effective: uid,
                saved: UNCHANGED,
            })
        } else {
            Err(Errno::EPERM)
        }
    }

    /// setreuid(2): the real uid may become the real or effective one, the
    /// effective any of the three; the saved uid follows the new effective one
    /// when the real uid is set or the effective one differs from the old real.
    pub fn setreuid(&self, ruid: u32, euid: u32) -> Result<Credentials, Errno> {
        let cap = self.has_cap(abi::linux::CAP_SETUID);
        if ruid != UNCHANGED && !cap && ruid != self.uid && ruid != self.euid {
            return Err(Errno::EPERM);
        }
        if euid != UNCHANGED && !cap && ![self.uid, self.euid, self.suid].contains(&euid) {
            return Err(Errno::EPERM);
        }
        let new_euid = if euid == UNCHANGED { self.euid } else { euid };
        let saved = if ruid != UNCHANGED || (euid != UNCHANGED && euid != self.uid) {
            new_euid
        } else {
            UNCHANGED
        };
        self.set_uids(Ids {
            real: ruid,
            effective: euid,
            saved,
        })
    }

    /// setresuid(2): without CAP_SETUID each new ID must be one of the old three.
    pub fn setresuid(&self, r: u32, e: u32, s: u32) -> Result<Credentials, Errno> {
        let old = [self.uid, self.euid, self.suid];
        let ok = |id: u32| id == UNCHANGED || old.contains(&id);
        if !(self.has_cap(abi::linux::CAP_SETUID) || ok(r) && ok(e) && ok(s)) {
            return Err(Errno::EPERM);
        }
        self.set_uids(Ids {
            real: r,
            effective: e,
            saved: s,
        })
    }

    /// setfsuid(2): returns the new credentials (unchanged when not allowed)
    /// and the old fsuid, which the call returns either way.
    pub fn setfsuid(&self, uid: u32) -> (Credentials, u32) {
        let mut new = self.clone();
        let allowed = [self.uid, self.euid, self.suid, self.fsuid].contains(&uid)
            || self.has_cap(abi::linux::CAP_SETUID);
        if uid != UNCHANGED && allowed && uid != self.fsuid {
            new.fsuid = uid;
            new.fix_fs_caps(self.fsuid);
        }
        (new, self.fsuid)
    }

    /// setgid(2).
    pub fn setgid(&self, gid: u32) -> Result<Credentials, Errno> {
        if gid == UNCHANGED {
            return Err(Errno::EINVAL);
        }
        let mut new = self.clone();
        if self.has_cap(abi::linux::CAP_SETGID) {
            (new.gid, new.egid, new.sgid) = (gid, gid, gid);
        } else if gid == self.gid || gid == self.sgid {
            new.egid = gid;
        } else {
            return Err(Errno::EPERM);
        }
        new.fsgid = new.egid;
        Ok(new)
    }

    /// setregid(2), with setreuid's rules.
    pub fn setregid(&self, rgid: u32, egid: u32) -> Result<Credentials, Errno> {
        let cap = self.has_cap(abi::linux::CAP_SETGID);
        if rgid != UNCHANGED && !cap && rgid != self.gid && rgid != self.egid {
            return Err(Errno::EPERM);
        }
        if egid != UNCHANGED && !cap && ![self.gid, self.egid, self.sgid].contains(&egid) {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        if rgid != UNCHANGED {
            new.gid = rgid;
        }
        if egid != UNCHANGED {
            new.egid = egid;
        }
        if rgid != UNCHANGED || (egid != UNCHANGED && egid != self.gid) {
            new.sgid = new.egid;
        }
        new.fsgid = new.egid;
        Ok(new)
    }

    /// setresgid(2).
    pub fn setresgid(&self, r: u32, e: u32, s: u32) -> Result<Credentials, Errno> {
        let old = [self.gid, self.egid, self.sgid];
        let ok = |id: u32| id == UNCHANGED || old.contains(&id);
        if !(self.has_cap(abi::linux::CAP_SETGID) || ok(r) && ok(e) && ok(s)) {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        for (field, v) in [(&mut new.gid, r), (&mut new.egid, e), (&mut new.sgid, s)] {
            if v != UNCHANGED {
                *field = v;
            }
        }
        new.fsgid = new.egid;
        Ok(new)
    }

    /// setfsgid(2): like setfsuid, without capability effects.
    pub fn setfsgid(&self, gid: u32) -> (Credentials, u32) {
        let mut new = self.clone();
        let allowed = [self.gid, self.egid, self.sgid, self.fsgid].contains(&gid)
            || self.has_cap(abi::linux::CAP_SETGID);
        if gid != UNCHANGED && allowed {
            new.fsgid = gid;
        }
        (new, self.fsgid)
    }

    /// setgroups(2): needs CAP_SETGID.
    pub fn setgroups(&self, groups: Vec<u32>) -> Result<Credentials, Errno> {
        if !self.has_cap(abi::linux::CAP_SETGID) {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        new.groups = groups;
        new.groups.sort_unstable();
        Ok(new)
    }

    /// Applies a uid change the caller was allowed to make, then its effect on
    /// the capability sets; the fsuid follows the effective uid.
    fn set_uids(&self, ids: Ids) -> Result<Credentials, Errno> {
        let mut new = self.clone();
        for (field, v) in [
            (&mut new.uid, ids.real),
            (&mut new.euid, ids.effective),
            (&mut new.suid, ids.saved),
        ] {
            if v != UNCHANGED {
                *field = v;
            }
        }
        new.fsuid = new.euid;
        new.fix_setuid_caps(self);
        Ok(new)
    }

    /// capabilities(7): leaving uid 0 in all three IDs clears the permitted and
    /// effective sets (unless keep_caps) and the ambient set; leaving effective
    /// uid 0 clears the effective set; regaining it restores it from permitted.
    fn fix_setuid_caps(&mut self, old: &Credentials) {
        let had_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
        let has_root = self.uid == 0 || self.euid == 0 || self.suid == 0;
        if had_root && !has_root {
            if !self.keep_caps {
                self.caps.permitted = 0;
                self.caps.effective = 0;
            }
            self.caps.ambient = 0;
        }
        if old.euid == 0 && self.euid != 0 {
            self.caps.effective = 0;
        }
        if old.euid != 0 && self.euid == 0 {
            self.caps.effective = self.caps.permitted;
        }
    }

    /// A change of fsuid away from or back to 0 drops or restores the
    /// file-system capabilities.
    fn fix_fs_caps(&mut self, old_fsuid: u32) {
        if old_fsuid == 0 && self.fsuid != 0 {
            self.caps.effective &= !CAP_FS_SET;
        }
        if old_fsuid != 0 && self.fsuid == 0 {
            self.caps.effective |= self.caps.permitted & CAP_FS_SET;
        }
    }

    /// capset(2): the new sets may not gain what the permitted and bounding
    /// sets do not allow.
    pub fn capset(
        &self,
        effective: u64,
        permitted: u64,
        inheritable: u64,
    ) -> Result<Credentials, Errno> {
        let old = &self.caps;
        let setpcap = self.has_cap(abi::linux::CAP_SETPCAP);
        let allowed_inh = old.inheritable | old.permitted;
        if !setpcap && inheritable & !allowed_inh != 0 {
            return Err(Errno::EPERM);
        }
        if inheritable & !(old.inheritable | old.bounding) != 0 {
            return Err(Errno::EPERM);
        }
        if permitted & !old.permitted != 0 || effective & !permitted != 0 {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        new.caps.effective = effective;
        new.caps.permitted = permitted;
        new.caps.inheritable = inheritable;
        // Ambient capabilities must stay permitted and inheritable.
        new.caps.ambient &= permitted & inheritable;
        Ok(new)
    }

    /// The credentials access(2) checks with: the real IDs, and for a real
    /// uid 0 the permitted capabilities, for anyone else none.
    pub fn for_access(&self) -> Credentials {
        let mut new = self.clone();
        new.fsuid = self.uid;
        new.fsgid = self.gid;
        new.caps.effective = if self.uid == 0 {
            self.caps.permitted
        } else {
            0
        };
        new
    }

    /// What execve makes of the credentials for a file without file capabilities
    /// or set-id bits (capabilities(7), "Transformation of capabilities during
    /// execve()"): root (real or effective) gets the bounding and inheritable
    /// sets as permitted; others keep only their ambient capabilities.
    pub fn for_exec(&self) -> Credentials {
        let mut new = self.clone();
        let c = &mut new.caps;
        c.permitted = if self.uid == 0 || self.euid == 0 {
            (c.bounding | c.inheritable) | c.ambient
        } else {
            c.ambient
        };
        c.effective = if self.euid == 0 {
            c.permitted
        } else {
            c.ambient
        };
        new.suid = new.euid;
        new.fsuid = new.euid;
        new.sgid = new.egid;
        new.fsgid = new.egid;
        new.keep_caps = false;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_dropping_to_a_user_loses_capabilities_unless_keepcaps() {
        let root = Credentials::new(0, 0, vec![]);
        let user = root.setuid(1000).unwrap();
        assert_eq!(
            (user.uid, user.euid, user.suid, user.fsuid),
            (1000, 1000, 1000, 1000)
        );
        assert_eq!(user.caps.permitted, 0);
        assert_eq!(user.setuid(0), Err(Errno::EPERM));

        let mut keep = root.clone();
        keep.keep_caps = true;
        let kept = keep.setresuid(1000, 1000, 1000).unwrap();
        assert_eq!(kept.caps.permitted, CAP_FULL);
        assert_eq!(kept.caps.effective, 0, "effective cleared with euid 0");
    }

    #[test]
    fn saved_uid_allows_going_back() {
        let root = Credentials::new(0, 0, vec![]);
        let c = root.setresuid(1000, 1000, 0).unwrap();
        assert_eq!(c.caps.effective, 0);
        assert_eq!(c.caps.permitted, CAP_FULL, "saved uid 0 keeps permitted");
        let back = c.setresuid(UNCHANGED, 0, UNCHANGED).unwrap();
        assert_eq!(back.caps.effective, CAP_FULL);
        let c = root.setreuid(1000, 2000).unwrap();
        assert_eq!((c.uid, c.euid, c.suid), (1000, 2000, 2000));
        assert_eq!(
            c.setreuid(2000, 1000).map(|c| (c.uid, c.euid)),
            Ok((2000, 1000))
        );
        assert_eq!(c.setreuid(3000, UNCHANGED), Err(Errno::EPERM));
        assert_eq!(c.setuid(UNCHANGED), Err(Errno::EINVAL));
    }

    #[test]
    fn fsuid_drops_file_capabilities() {
        let root = Credentials::new(0, 0, vec![]);
        let (c, old) = root.setfsuid(1000);
        assert_eq!(old, 0);
        assert!(!c.has_cap(abi::linux::CAP_DAC_OVERRIDE));
        assert!(c.has_cap(abi::linux::CAP_SETUID));
        let (c, old) = c.setfsuid(0);
        assert_eq!(old, 1000);
        assert!(c.has_cap(abi::linux::CAP_DAC_OVERRIDE));
    }

    #[test]
    fn ambient_capabilities_stay_permitted_and_inheritable() {
        let net = cap_bit(abi::linux::CAP_NET_RAW);
        let kill = cap_bit(abi::linux::CAP_KILL);
        let caps = CapSets {
            effective: net | kill,
            permitted: net | kill,
            inheritable: net,
            bounding: CAP_FULL,
            ambient: net | kill,
        };
        let c = Credentials::with_caps(1000, 1000, vec![], caps);
        assert_eq!(c.caps.ambient, net, "not inheritable: dropped at start");
        let c = c.capset(net | kill, net | kill, 0).unwrap();
        assert_eq!(c.caps.ambient, 0, "leaving inheritable clears it");
    }

    #[test]
    fn exec_recomputes_capabilities() {
        let mut c = Credentials::new(1000, 1000, vec![]);
        c.caps.ambient = cap_bit(abi::linux::CAP_NET_RAW);
        let e = c.for_exec();
        assert_eq!(e.caps.permitted, cap_bit(abi::linux::CAP_NET_RAW));
        assert_eq!(e.caps.effective, cap_bit(abi::linux::CAP_NET_RAW));
        let mut root = Credentials::new(0, 0, vec![]);
        root.caps.bounding &= !cap_bit(abi::linux::CAP_SYS_ADMIN);
        assert!(!root.for_exec().has_cap(abi::linux::CAP_SYS_ADMIN));
    }
}
