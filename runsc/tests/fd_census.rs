//! Nothing of runsc's caller leaks in: a descriptor the caller left open
//! across exec (a shell's `exec 77<secret`) is in none of the processes runsc
//! starts (the sandbox, its gofers, the keeper, an exec waiter), each of
//! which holds only what it is given.

mod support;

use std::collections::HashSet;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, Stdio};

use support::{Bundle, eventually, guarded_bundle};

/// Where the markers go in this process (and so, unless runsc stops them,
/// in every runsc it starts): a file and both ends of a pipe, none
/// close-on-exec.
const MARKER_FILE_FD: i32 = 77;
const MARKER_PIPE_FDS: [i32; 2] = [78, 79];

/// Opens the markers once for the whole test binary; returns the marker
/// file's path.
fn open_markers() -> &'static Path {
    static MARKER: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fd-census-secret");
        std::fs::write(&path, "secret").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // dup2 makes descriptors without close-on-exec, as a shell's `exec 77<`.
        nix::unistd::dup2(file.as_raw_fd(), MARKER_FILE_FD).unwrap();
        let (r, w) = nix::unistd::pipe().unwrap();
        nix::unistd::dup2(r.as_raw_fd(), MARKER_PIPE_FDS[0]).unwrap();
        nix::unistd::dup2(w.as_raw_fd(), MARKER_PIPE_FDS[1]).unwrap();
        path
    })
}

/// What descriptor `fd` of `pid` is (readlink of /proc/PID/fd/FD).
fn target(pid: i32, fd: &str) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// Descriptor number → what it is, for process `pid`.
fn descriptors(pid: i32) -> Vec<(i32, String)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let mut fds: Vec<(i32, String)> = dir
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            Some((name.parse().ok()?, target(pid, &name)?))
        })
        .collect();
    fds.sort();
    fds
}

/// What the markers are, as readlink shows them (the pipe by its inode).
fn marker_targets() -> HashSet<String> {
    let me = std::process::id() as i32;
    let mut set = HashSet::new();
    for fd in [MARKER_FILE_FD, MARKER_PIPE_FDS[0], MARKER_PIPE_FDS[1]] {
        set.insert(target(me, &fd.to_string()).expect("marker is open"));
    }
    set
}

/// The role of a runsc process, from its command line.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Role {
    Boot,
    Gofer,
    ExecWait,
    /// The forked child of create/run/do that holds the sandbox (it never
    /// execs, so it keeps its parent's command line).
    Keeper,
}

/// The runsc processes working for state root `root` (but `ours`), with
/// their roles.
fn runsc_processes(root: &Path, ours: &[u32]) -> Vec<(i32, Role)> {
    support::runsc_processes(root)
        .into_iter()
        .filter(|(pid, _)| !ours.contains(&(*pid as u32)))
        .map(|(pid, args)| {
            let role = if args.iter().any(|a| a == "boot") {
                Role::Boot
            } else if args.iter().any(|a| a == "gofer") {
                Role::Gofer
            } else if args.iter().any(|a| a == "exec-wait") {
                Role::ExecWait
            } else {
                Role::Keeper
            };
            (pid, role)
        })
        .collect()
}

/// Checks every runsc process of `root` (but `ours`): none holds a marker,
/// and each holds only the kinds of descriptor it is given. Returns the
/// roles seen.
fn census(root: &Path, ours: &[u32]) -> Vec<Role> {
    let markers = marker_targets();
    let mut roles = Vec::new();
    for (pid, role) in runsc_processes(root, ours) {
        let fds = descriptors(pid);
        let shown = format!("{role:?} {pid}: {fds:?}");
        for (fd, what) in &fds {
            assert!(
                !markers.contains(what) && !what.contains("fd-census-secret"),
                "the caller's descriptor leaked into {shown} (fd {fd})"
            );
        }
        let beyond_stdio: Vec<&String> = fds
            .iter()
            .filter(|(fd, _)| *fd >= 3)
            .map(|(_, w)| w)
            .collect();
        match role {
            // Only the write end of the pipe that tells the sandbox it lives.
            Role::Keeper => assert!(
                beyond_stdio.len() == 1 && beyond_stdio[0].starts_with("pipe:"),
                "the keeper holds more than its pipe: {shown}"
            ),
            // Its connection to the sandbox (and the sentry's nodes), never
            // a pipe: runsc gives it no pipe.
            Role::Gofer => assert!(
                beyond_stdio.iter().all(|w| !w.starts_with("pipe:")),
                "a gofer holds a pipe: {shown}"
            ),
            // Sockets to the sandbox's control server, and its runtime.
            Role::ExecWait => assert!(
                beyond_stdio
                    .iter()
                    .all(|w| w.starts_with("socket:") || w.starts_with("anon_inode:")),
                "the exec waiter holds more than sockets: {shown}"
            ),
            Role::Boot => {}
        }
        roles.push(role);
    }
    roles
}

fn wait_for_roles(b: &Bundle, ours: &[u32], want: &[Role]) -> Vec<Role> {
    let mut roles = Vec::new();
    eventually(&format!("runsc processes {want:?}"), || {
        roles = runsc_processes(&b.root, ours)
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        want.iter().all(|w| roles.contains(w))
    });
    census(&b.root, ours)
}

/// Ends `child` (a `run` or `do` the test started).
fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn created_sandbox_gofers_keeper_and_exec_waiter_hold_no_inherited_descriptor() {
    open_markers();
    let Some((b, _leftovers)) = guarded_bundle("fd-census-create", &["sleep", "1000"]) else {
        return;
    };
    b.create_and_start("fd-census-c");
    let roles = wait_for_roles(&b, &[], &[Role::Boot, Role::Gofer, Role::Keeper]);
    assert!(roles.contains(&Role::Boot), "{roles:?}");

    // The exec'd process keeps its stdio: none here, so that nothing waits on it.
    let detached = b
        .runsc()
        .args(["exec", "--detach", "fd-census-c", "sleep", "1000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(detached.success(), "exec --detach failed");
    wait_for_roles(&b, &[], &[Role::ExecWait]);

    // A waiting exec is the caller's own process; what it starts is checked.
    let exec = b
        .runsc()
        .args(["exec", "fd-census-c", "sleep", "1000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    census(&b.root, &[exec.id()]);
    stop(exec);
    let _ = b.rs(&["delete", "--force", "fd-census-c"]);
}

/// Starts `runsc ARGS` (which stays in the foreground: it is the caller's
/// own process) and takes the census of what it starts.
fn census_of_foreground(b: &Bundle, args: &[&str]) {
    let child = b
        .runsc()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_roles(b, &[child.id()], &[Role::Boot, Role::Gofer, Role::Keeper]);
    stop(child);
}

#[test]
fn run_and_do_children_hold_no_inherited_descriptor() {
    open_markers();
    let Some((b, _leftovers)) = guarded_bundle("fd-census-run", &["sleep", "1000"]) else {
        return;
    };
    let bundle = b.dir.to_str().unwrap();
    census_of_foreground(&b, &["run", "--bundle", bundle, "fd-census-r"]);
    let _ = b.rs(&["delete", "--force", "fd-census-r"]);
    census_of_foreground(&b, &["do", "/bin/sleep", "1000"]);
}
