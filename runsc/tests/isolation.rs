//! The sandbox process (`runsc boot`) is confined: looked at from outside while
//! a container runs, it is pid 1 of its own PID namespace, in mount, IPC and UTS
//! namespaces of its own (and the network namespace the spec asks for), root of
//! its own user namespace but host `nobody` (or, where the host cannot, in
//! none, as host root), its
//! root is an empty read-only tmpfs, it has no capabilities, `no_new_privs`
//! and a seccomp filter; when it dies, its stub processes die with it. The
//! gofer keeps only the capabilities serving files takes. And `runsc seccomp`
//! lists what the rules file says.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn runsc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runsc"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The value of `field` in /proc/PID/status.
fn status_field(pid: i32, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

fn ppid(pid: i32) -> Option<i32> {
    status_field(pid, "PPid")?.parse().ok()
}

fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn children(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
    {
        let path = task.unwrap().path().join("children");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok()),
        );
    }
    out
}

fn descends_from(mut pid: i32, ancestor: i32) -> bool {
    while pid > 1 {
        if pid == ancestor {
            return true;
        }
        match ppid(pid) {
            Some(p) => pid = p,
            None => return false,
        }
    }
    false
}

/// The `runsc boot` process started by runsc `parent`, once the container's
/// program runs (boot has a stub child, forked after boot confined itself).
fn boot_of(parent: i32) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let args = cmdline(pid);
            if args.iter().any(|a| a == "boot")
                && args.iter().any(|a| a.starts_with("--spec-fd"))
                && descends_from(pid, parent)
                && !children(pid).is_empty()
            {
                return pid;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no running runsc boot under runsc {parent}");
}

fn ns_link(pid: &str, ns: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{ns}"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/ns/{ns}: {e}"))
        .to_string_lossy()
        .into_owned()
}

/// A container that waits for its stdin to close: `runsc do /bin/cat`.
fn start_cat() -> Child {
    runsc()
        .args(["do", "/bin/cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn finish(mut child: Child) -> std::process::ExitStatus {
    drop(child.stdin.take());
    child.wait().unwrap()
}

#[test]
fn boot_runs_in_its_own_namespaces_as_pid_1() {
    let child = start_cat();
    let boot = boot_of(child.id() as i32);
    let b = boot.to_string();
    for ns in ["mnt", "pid", "ipc", "uts"] {
        assert_ne!(ns_link(&b, ns), ns_link("self", ns), "{ns} namespace");
    }
    // No network namespace entry (runsc do): the caller's, as runc does.
    assert_eq!(ns_link(&b, "net"), ns_link("self", "net"));
    // NSpid: its pid here, then in its own namespace: 1.
    let nspid = status_field(boot, "NSpid").unwrap();
    assert_eq!(nspid.split_whitespace().last(), Some("1"), "NSpid {nspid}");
    assert!(finish(child).success());
}

#[test]
fn boot_has_an_empty_root_no_capabilities_and_seccomp() {
    let child = start_cat();
    let boot = boot_of(child.id() as i32);
    // Its whole mount tree is one read-only tmpfs at /.
    let mountinfo = std::fs::read_to_string(format!("/proc/{boot}/mountinfo")).unwrap();
    let mounts: Vec<&str> = mountinfo.lines().collect();
    assert_eq!(mounts.len(), 1, "{mountinfo}");
    let fields: Vec<&str> = mounts[0].split_whitespace().collect();
    assert_eq!(fields[4], "/", "mount point: {mountinfo}");
    assert!(fields[5].split(',').any(|o| o == "ro"), "{mountinfo}");
    assert!(mounts[0].contains(" - tmpfs "), "{mountinfo}");
    let root: Vec<_> = std::fs::read_dir(format!("/proc/{boot}/root"))
        .unwrap()
        .collect();
    assert!(root.is_empty(), "boot's root is not empty: {root:?}");
    assert_eq!(
        std::fs::read_link(format!("/proc/{boot}/cwd")).unwrap(),
        Path::new("/")
    );
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(
            status_field(boot, set).as_deref(),
            Some("0000000000000000"),
            "{set}"
        );
    }
    assert_eq!(status_field(boot, "NoNewPrivs").as_deref(), Some("1"));
    assert_eq!(status_field(boot, "Seccomp").as_deref(), Some("2"));
    // Every thread has the filter (TSYNC), and stubs have it under their own.
    for task in std::fs::read_dir(format!("/proc/{boot}/task")).unwrap() {
        let tid: i32 = task.unwrap().file_name().to_string_lossy().parse().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{boot}/task/{tid}/status"));
        if let Ok(status) = status {
            assert!(status.contains("Seccomp:\t2"), "thread {tid}");
        }
    }
    for stub in children(boot) {
        assert_eq!(status_field(stub, "Seccomp").as_deref(), Some("2"));
        assert_eq!(status_field(stub, "Seccomp_filters").as_deref(), Some("2"));
    }
    assert!(finish(child).success());
}

#[test]
fn stubs_die_with_the_sandbox() {
    let child = start_cat();
    let boot = boot_of(child.id() as i32);
    let stubs = children(boot);
    assert!(!stubs.is_empty());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(boot),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let status = finish(child);
    // runsc reports the sandbox's death as the shell would: 128 + SIGKILL.
    assert_eq!(status.code(), Some(137), "{status:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    for stub in stubs {
        while Path::new(&format!("/proc/{stub}")).exists()
            && status_field(stub, "State").is_some_and(|s| !s.starts_with('Z'))
        {
            assert!(
                Instant::now() < deadline,
                "stub {stub} outlived the sandbox"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn gofer_keeps_only_file_capabilities_and_has_seccomp() {
    let child = start_cat();
    let runsc_pid = child.id() as i32;
    boot_of(runsc_pid);
    let gofer = children(runsc_pid)
        .into_iter()
        .find(|&p| cmdline(p).iter().any(|a| a == "gofer"))
        .expect("a gofer child of runsc");
    // CAP_CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, MKNOD.
    for set in ["CapPrm", "CapEff", "CapBnd"] {
        assert_eq!(
            status_field(gofer, set).as_deref(),
            Some("000000000800001f"),
            "{set}"
        );
    }
    assert_eq!(
        status_field(gofer, "CapAmb").as_deref(),
        Some("0000000000000000")
    );
    assert_eq!(status_field(gofer, "NoNewPrivs").as_deref(), Some("1"));
    assert_eq!(status_field(gofer, "Seccomp").as_deref(), Some("2"));
    assert_ne!(ns_link(&gofer.to_string(), "mnt"), ns_link("self", "mnt"));
    assert!(finish(child).success());
}

/// A bundle running busybox `cat` with `linux.namespaces` = `namespaces`.
fn cat_bundle(name: &str, namespaces: serde_json::Value) -> Option<PathBuf> {
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        eprintln!("SKIP: /bin/busybox (Debian busybox-static) is not installed");
        return None;
    }
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("rootfs/bin")).unwrap();
    std::fs::copy(busybox, dir.join("rootfs/bin/busybox")).unwrap();
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"args": ["/bin/busybox", "cat"], "cwd": "/", "env": ["PATH=/bin"],
                    "user": {"uid": 0, "gid": 0}},
        "root": {"path": "rootfs", "readonly": true},
        "linux": {"namespaces": namespaces},
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    Some(dir)
}

fn run_bundle(bundle: &Path) -> Child {
    runsc()
        .args(["run", "--bundle", bundle.to_str().unwrap(), "isolation"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn network_namespace_follows_the_spec() {
    // An entry without a path: a new namespace.
    let Some(bundle) = cat_bundle(
        "isolation-netns-new",
        serde_json::json!([{"type": "network"}, {"type": "mount"}]),
    ) else {
        return;
    };
    let child = run_bundle(&bundle);
    let boot = boot_of(child.id() as i32).to_string();
    assert_ne!(ns_link(&boot, "net"), ns_link("self", "net"));
    assert!(finish(child).success());

    // An entry with a path: that namespace (held here by a sleeping process).
    let mut holder = Command::new("/bin/sleep");
    holder.arg("60");
    // SAFETY: unshare is a raw system call, safe between fork and exec.
    unsafe {
        holder.pre_exec(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).map_err(Into::into)
        });
    }
    let mut holder = holder.spawn().unwrap();
    let path = format!("/proc/{}/ns/net", holder.id());
    let bundle = cat_bundle(
        "isolation-netns-join",
        serde_json::json!([{"type": "network", "path": path}]),
    )
    .unwrap();
    let child = run_bundle(&bundle);
    let boot = boot_of(child.id() as i32).to_string();
    assert_eq!(
        ns_link(&boot, "net"),
        ns_link(&holder.id().to_string(), "net")
    );
    assert_ne!(ns_link(&boot, "net"), ns_link("self", "net"));
    assert!(finish(child).success());
    let _ = holder.kill();
    let _ = holder.wait();
}

#[test]
fn a_missing_network_namespace_path_is_a_clear_error() {
    let Some(bundle) = cat_bundle(
        "isolation-netns-missing",
        serde_json::json!([{"type": "network", "path": "/nonexistent/netns"}]),
    ) else {
        return;
    };
    let out = runsc()
        .args(["run", "--bundle", bundle.to_str().unwrap(), "isolation"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("network namespace /nonexistent/netns: No such file"),
        "{stderr}"
    );
}

/// The `libc::SYS_*` names in `sentry_rules.rs`, the source of the filter.
fn names_in_rules_file() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/confine/sentry_rules.rs");
    let source = std::fs::read_to_string(path).unwrap();
    let mut names = BTreeSet::new();
    for piece in source.split("libc::SYS_").skip(1) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        names.insert(name);
    }
    names
}

#[test]
fn seccomp_listing_is_the_rules_file() {
    let out = runsc().args(["seccomp", "--format=json"]).output().unwrap();
    assert!(out.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    let names: BTreeSet<String> = listed
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    // pread64/pwrite64 are SYS_pread64/SYS_pwrite64, newfstatat SYS_newfstatat:
    // libc's names are the kernel's.
    assert_eq!(names, names_in_rules_file());
    assert_eq!(names.len(), listed.len(), "one rule per call");
    for r in listed {
        assert!(!r["why"].as_str().unwrap().is_empty(), "{r}");
    }
    let allowed = listed.iter().filter(|r| r["action"] == "allow").count();
    assert!(allowed < 80, "{allowed} host calls allowed");
    for never in [
        "execve",
        "execveat",
        "socket",
        "connect",
        "open_by_handle_at",
        "mount",
        "ptrace",
    ] {
        let rule = listed.iter().find(|r| r["name"] == never);
        if never == "ptrace" {
            // Allowed, but only for the requests the platform makes.
            assert!(!rule.unwrap()["args"].as_str().unwrap().is_empty());
        } else {
            assert!(rule.is_none(), "{never} is allowed");
        }
    }
    let text = runsc().arg("seccomp").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("{allowed} host system calls allowed")),
        "{text}"
    );
}

/// Writing to the container's stdin still works through all this.
#[test]
fn confined_sandbox_still_serves_stdio() {
    let mut child = runsc()
        .args(["do", "/bin/cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"through the sandbox\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"through the sandbox\n");
}

/// The host id the sandbox's root is (`confine::userns`).
const NOBODY: &str = "65534";

/// Whether this host lets runsc give the sandbox a user namespace: runsc is
/// root, user namespaces are enabled and `nobody` can reach and run the runsc
/// binary (other-readable and -executable, every directory above searchable).
fn user_namespaces_possible() -> bool {
    let max = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap_or_default();
    if !nix::unistd::geteuid().is_root() || max.trim() == "0" {
        eprintln!("SKIP: not root, or user namespaces are disabled");
        return false;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_runsc"));
    let mode = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.permissions().mode());
    let reachable = exe.ancestors().skip(1).all(|dir| mode(dir) & 0o001 != 0);
    if !reachable || mode(exe) & 0o005 != 0o005 {
        eprintln!("SKIP: nobody cannot run {}", exe.display());
        return false;
    }
    true
}

/// The `ns` namespace's inode number and that of the user namespace owning it
/// (NS_GET_USERNS), for process `pid`.
fn ns_and_owner(pid: i32, ns: &str) -> (u64, u64) {
    let file = std::fs::File::open(format!("/proc/{pid}/ns/{ns}")).unwrap();
    // NS_GET_USERNS = _IO(0xb7, 0x1): a descriptor of the owning user namespace.
    const NS_GET_USERNS: libc::c_ulong = 0xb701;
    // SAFETY: the ioctl takes no argument and returns a new descriptor.
    let owner = unsafe { libc::ioctl(file.as_raw_fd(), NS_GET_USERNS) };
    assert!(
        owner >= 0,
        "NS_GET_USERNS on {ns}: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the ioctl returned a fresh descriptor we now own.
    let owner = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(owner) };
    (
        file.metadata().unwrap().ino(),
        owner.metadata().unwrap().ino(),
    )
}

/// The three numbers of a one-line id map.
fn id_map(pid: i32, map: &str) -> Vec<String> {
    std::fs::read_to_string(format!("/proc/{pid}/{map}"))
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn boot_is_root_of_its_own_user_namespace_as_host_nobody() {
    if !user_namespaces_possible() {
        return;
    }
    let child = start_cat();
    let runsc_pid = child.id() as i32;
    let boot = boot_of(runsc_pid);
    let b = boot.to_string();
    assert_ne!(ns_link(&b, "user"), ns_link("self", "user"));
    // Root inside is nobody outside; nothing else is mapped, and setgroups is
    // denied.
    assert_eq!(id_map(boot, "uid_map"), ["0", NOBODY, "1"]);
    assert_eq!(id_map(boot, "gid_map"), ["0", NOBODY, "1"]);
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{boot}/setgroups"))
            .unwrap()
            .trim(),
        "deny"
    );
    // Seen from the host: nobody, with no supplementary group.
    let all_nobody = [NOBODY; 4].join("\t");
    assert_eq!(status_field(boot, "Uid").unwrap(), all_nobody);
    assert_eq!(status_field(boot, "Gid").unwrap(), all_nobody);
    assert_eq!(status_field(boot, "Groups").as_deref(), Some(""));
    // Boot's user namespace owns its mount, IPC and UTS namespaces (so it
    // could mount its empty root), and the host's owns that.
    // (For a user namespace, NS_GET_USERNS gives its parent.)
    let (user, parent) = ns_and_owner(boot, "user");
    let host_user = std::fs::metadata("/proc/self/ns/user").unwrap().ino();
    assert_eq!(parent, host_user);
    for ns in ["mnt", "ipc", "uts"] {
        assert_eq!(
            ns_and_owner(boot, ns).1,
            user,
            "owner of boot's {ns} namespace"
        );
    }
    // Its stubs, traced and filtered, are in it too, as nobody.
    let stubs = children(boot);
    assert!(!stubs.is_empty());
    for stub in stubs {
        assert_eq!(
            std::fs::metadata(format!("/proc/{stub}/ns/user"))
                .unwrap()
                .ino(),
            user
        );
        assert_eq!(status_field(stub, "Uid").unwrap(), all_nobody);
        assert_eq!(status_field(stub, "Seccomp").as_deref(), Some("2"));
    }
    // The keeper, which wrote the maps, stays host root outside.
    let keeper = ppid(boot).unwrap();
    assert_eq!(ppid(keeper), Some(runsc_pid));
    assert_eq!(status_field(keeper, "Uid").unwrap(), ["0"; 4].join("\t"));
    assert_eq!(
        ns_link(&keeper.to_string(), "user"),
        ns_link("self", "user")
    );
    assert!(finish(child).success());
}

#[test]
fn userns_false_keeps_the_sandbox_in_the_hosts_user_namespace() {
    let child = runsc()
        .args(["--userns=false", "do", "/bin/cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let boot = boot_of(child.id() as i32);
    assert_eq!(ns_link(&boot.to_string(), "user"), ns_link("self", "user"));
    assert_eq!(
        status_field(boot, "Uid"),
        status_field(std::process::id() as i32, "Uid")
    );
    assert!(finish(child).success());
}

/// A seccomp filter failing unshare(CLONE_NEWUSER) with EPERM, as a host
/// that forbids user namespaces (or a container runsc itself runs in) does.
fn no_user_namespaces_filter() -> seccompiler::BpfProgram {
    use seccompiler::{
        SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    };
    let newuser = libc::CLONE_NEWUSER as u64;
    let rule = SeccompRule::new(vec![
        SeccompCondition::new(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(newuser),
            newuser,
        )
        .unwrap(),
    ])
    .unwrap();
    let filter = SeccompFilter::new(
        [(libc::SYS_unshare, vec![rule])].into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        std::env::consts::ARCH.try_into().unwrap(),
    )
    .unwrap();
    filter.try_into().unwrap()
}

#[test]
fn without_user_namespaces_the_sandbox_runs_as_host_root() {
    let dir = scratch("isolation-no-userns");
    let program = no_user_namespaces_filter();
    let mut cmd = runsc();
    cmd.arg("--debug")
        .arg(format!("--debug-log={}/", dir.display()))
        .args(["do", "/bin/cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    // SAFETY: the closure only makes the seccomp system call on a program
    // built before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let prog = libc::sock_fprog {
                len: program.len() as u16,
                filter: program.as_ptr() as *mut libc::sock_filter,
            };
            // runsc is root (CAP_SYS_ADMIN): no need for no_new_privs.
            if libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, 0, &prog) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let boot = boot_of(child.id() as i32);
    assert_eq!(ns_link(&boot.to_string(), "user"), ns_link("self", "user"));
    for ns in ["mnt", "pid", "ipc", "uts"] {
        assert_ne!(ns_link(&boot.to_string(), ns), ns_link("self", ns), "{ns}");
    }
    assert_eq!(
        status_field(boot, "CapEff").as_deref(),
        Some("0000000000000000")
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"still served\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"still served\n");
    let log: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    if user_namespaces_possible() {
        assert!(
            log.contains("without a user namespace: cannot create a user namespace (EPERM"),
            "{log}"
        );
    }
}
