//! Against the host's real cgroups: these need root and a writable cgroupfs,
//! and say why they are skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use super::*;

/// The host's mode, or None (with the reason printed) when we cannot write cgroups.
fn writable_mode() -> Option<Mode> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: cgroup tests need root");
        return None;
    }
    let mode = match Mode::detect() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("skipped: {e:#}");
            return None;
        }
    };
    let probe = test_path("probe");
    match Cgroup::create_in(&mode, &probe, &Limits::default()) {
        Ok(cg) => {
            cg.destroy().unwrap();
            Some(mode)
        }
        Err(e) => {
            eprintln!("skipped: cgroups are not writable here: {e:#}");
            None
        }
    }
}

/// One level under the root, so that destroy leaves nothing at all behind.
fn test_path(name: &str) -> PathBuf {
    PathBuf::from(format!("/runsc-test-{}-{name}", std::process::id()))
}

/// The directory holding `controller`'s files.
fn dir(cg: &Cgroup, controller: &str) -> PathBuf {
    match &cg.imp {
        Imp::V1(c) => c.dir(controller).unwrap().to_path_buf(),
        Imp::V2(c) => c.dir().to_path_buf(),
    }
}

fn all_dirs(cg: &Cgroup) -> Vec<PathBuf> {
    match &cg.imp {
        Imp::V1(c) => c.dirs().map(Path::to_path_buf).collect(),
        Imp::V2(c) => vec![c.dir().to_path_buf()],
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
        .trim()
        .to_string()
}

fn sleeper() -> Child {
    Command::new("sleep").arg("100").spawn().unwrap()
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn resources(json: &str) -> LinuxResources {
    serde_json::from_str(json).unwrap()
}

#[test]
fn limits_are_written_to_the_controller_files() {
    let Some(mode) = writable_mode() else { return };
    let r = resources(
        r#"{"memory":{"limit":67108864,"reservation":33554432,"swap":134217728},
            "cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0","mems":"0"},
            "pids":{"limit":20},
            "devices":[{"allow":false,"access":"rwm"}]}"#,
    );
    let mut limits = Limits::from_resources(&r);
    let v1 = mode == Mode::V1;
    let memsw = "memory.memsw.limit_in_bytes";
    if v1 && !Path::new("/sys/fs/cgroup/memory").join(memsw).exists() {
        eprintln!("no swap accounting: swap limit left out");
        limits.memory_swap = None;
    }
    let cg = Cgroup::create_in(&mode, &test_path("limits"), &limits).unwrap();
    let (mem, cpu, cpuset, pids) = (
        dir(&cg, "memory"),
        dir(&cg, "cpu"),
        dir(&cg, "cpuset"),
        dir(&cg, "pids"),
    );
    if v1 {
        assert_eq!(read(&mem, "memory.limit_in_bytes"), "67108864");
        assert_eq!(read(&mem, "memory.soft_limit_in_bytes"), "33554432");
        if limits.memory_swap.is_some() {
            assert_eq!(read(&mem, memsw), "134217728");
        }
        assert_eq!(read(&cpu, "cpu.shares"), "512");
        assert_eq!(read(&cpu, "cpu.cfs_quota_us"), "50000");
        assert_eq!(read(&cpu, "cpu.cfs_period_us"), "100000");
    } else {
        assert_eq!(read(&mem, "memory.max"), "67108864");
        assert_eq!(read(&mem, "memory.low"), "33554432");
        assert_eq!(read(&mem, "memory.swap.max"), "67108864");
        assert_eq!(read(&cpu, "cpu.weight"), "20");
        assert_eq!(read(&cpu, "cpu.max"), "50000 100000");
    }
    assert_eq!(read(&cpuset, "cpuset.cpus"), "0");
    assert_eq!(read(&cpuset, "cpuset.mems"), "0");
    assert_eq!(read(&pids, "pids.max"), "20");
    // The devices list is ignored: the sandbox needs the host's /dev.
    if v1 {
        assert_eq!(read(&dir(&cg, "devices"), "devices.list"), "a *:* rwm");
    }
    cg.destroy().unwrap();
}

#[test]
fn a_child_placed_in_the_cgroup_shows_in_pids_and_stats() {
    let Some(mode) = writable_mode() else { return };
    let limits = Limits {
        memory_limit: Some(64 << 20),
        pids_limit: Some(10),
        ..Limits::default()
    };
    let path = test_path("stats");
    let cg = Cgroup::create_in(&mode, &path, &limits).unwrap();
    let child = sleeper();
    let pid = child.id() as i32;
    cg.add(pid).unwrap();
    assert_eq!(cg.pids().unwrap(), [pid]);
    for d in all_dirs(&cg) {
        assert_eq!(read(&d, "cgroup.procs"), pid.to_string(), "{}", d.display());
    }
    let s = cg.stats().unwrap();
    assert_eq!(s.pids.current, 1);
    assert_eq!(s.pids.limit, 10);
    assert_eq!(s.memory.usage.limit, 64 << 20);

    let event = serde_json::to_value(StatsEvent::new("c1", &s)).unwrap();
    assert_eq!(event["type"], "stats");
    assert_eq!(event["id"], "c1");
    assert_eq!(event["data"]["pids"]["current"], 1);
    assert_eq!(event["data"]["memory"]["usage"]["limit"], 64u64 << 20);
    for key in ["cpu", "memory", "pids", "blkio", "hugetlb"] {
        assert!(event["data"].get(key).is_some(), "{key} missing: {event}");
    }
    assert!(event["data"]["cpu"]["usage"].get("kernel").is_some());

    // Reopened by path, as a later runsc command would.
    let again = Cgroup::load_in(&mode, &path).unwrap();
    assert_eq!(again.pids().unwrap(), [pid]);
    stop(child);
    cg.destroy().unwrap();
    assert!(Cgroup::load_in(&mode, &path).is_err());
}

#[test]
fn freeze_stops_a_child_and_thaw_resumes_it() {
    let Some(mode) = writable_mode() else { return };
    let cg = Cgroup::create_in(&mode, &test_path("freeze"), &Limits::default()).unwrap();
    let out = std::env::temp_dir().join(format!("runsc-freeze-{}", std::process::id()));
    let _ = std::fs::remove_file(&out);
    // A shell that appends a line every 10 ms, with no child processes.
    let script = format!(
        "while :; do echo x >> {}; read -t 0.01 _ < /dev/zero 2>/dev/null || :; done",
        out.display()
    );
    let child = Command::new("bash").arg("-c").arg(&script).spawn().unwrap();
    cg.add(child.id() as i32).unwrap();
    let size = || std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    std::thread::sleep(Duration::from_millis(100));

    cg.freeze().unwrap();
    match &cg.imp {
        Imp::V1(_) => assert_eq!(read(&dir(&cg, "freezer"), "freezer.state"), "FROZEN"),
        Imp::V2(c) => assert!(read(c.dir(), "cgroup.events").contains("frozen 1")),
    }
    let frozen_at = size();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(size(), frozen_at, "a frozen process kept writing");

    cg.thaw().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(size() > frozen_at, "the thawed process did not run again");
    stop(child);
    let _ = std::fs::remove_file(&out);
    cg.destroy().unwrap();
}

#[test]
fn destroy_removes_every_directory_but_refuses_while_a_process_lives() {
    let Some(mode) = writable_mode() else { return };
    let cg = Cgroup::create_in(&mode, &test_path("destroy"), &Limits::default()).unwrap();
    let dirs = all_dirs(&cg);
    assert!(dirs.iter().all(|d| d.is_dir()));
    let child = sleeper();
    cg.add(child.id() as i32).unwrap();
    let err = Cgroup::load_in(&mode, cg.path())
        .unwrap()
        .destroy()
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("processes still in it"),
        "{err:#}"
    );
    stop(child);
    cg.destroy().unwrap();
    for d in dirs {
        assert!(!d.exists(), "{} left behind", d.display());
    }
}

/// The unified hierarchy has no controllers on a hybrid host, but the v2 code
/// paths that need none (placing, counting, freezing, removing) still run there.
#[test]
fn v2_without_controllers_places_freezes_and_removes() {
    let root = match Mode::detect() {
        Ok(Mode::V2(root)) => root,
        _ => PathBuf::from("/sys/fs/cgroup/unified"),
    };
    let is_cgroup2 = nix::sys::statfs::statfs(&root)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC);
    if !is_cgroup2 || writable_mode().is_none() {
        eprintln!("skipped: no writable cgroup v2 hierarchy");
        return;
    }
    let mode = Mode::V2(root.clone());
    let path = test_path("v2");
    let cg = Cgroup::create_in(&mode, &path, &Limits::default()).unwrap();
    let child = sleeper();
    let pid = child.id() as i32;
    cg.add(pid).unwrap();
    assert_eq!(cg.pids().unwrap(), [pid]);
    assert_eq!(cg.stats().unwrap().pids.current, 1);
    cg.freeze().unwrap();
    cg.thaw().unwrap();
    stop(child);
    cg.destroy().unwrap();
    assert!(!join_inside(&root, &path).exists());

    let available = v2::controllers_of(&root);
    if !available.iter().any(|c| c == "memory") {
        let limits = Limits {
            memory_limit: Some(1 << 20),
            ..Limits::default()
        };
        let err = Cgroup::create_in(&mode, &path, &limits).unwrap_err();
        assert!(
            format!("{err:#}").contains("memory controller is not available"),
            "{err:#}"
        );
        assert!(!join_inside(&root, &path).exists());
    }
}

#[test]
fn the_host_pids_limit_is_a_multiple_of_the_containers() {
    use super::host_pids_limit;
    assert_eq!(host_pids_limit(-1), -1);
    assert_eq!(host_pids_limit(0), 0);
    let n = host_pids_limit(20);
    // Room for the sandbox's own tasks (2 per container task at least), not
    // unlimited.
    assert!((2 * 20 + 16..20 * 64).contains(&n), "{n}");
    assert_eq!(host_pids_limit(i64::MAX), i64::MAX);
}
