//! OCI hooks (config.json `hooks`): programs run by the runtime at points of
//! the container's life, with the container's state as JSON on their stdin.

use std::fmt;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use oci_spec::runtime::Hook;

use serde::Serialize;

/// When a hook runs (runtime-spec config.md "POSIX-platform Hooks").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Deprecated: after the container's namespaces exist, before pivot_root.
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl HookKind {
    /// The name config.json uses.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::Prestart => "prestart",
            HookKind::CreateRuntime => "createRuntime",
            HookKind::CreateContainer => "createContainer",
            HookKind::StartContainer => "startContainer",
            HookKind::Poststart => "poststart",
            HookKind::Poststop => "poststop",
        }
    }
}

impl fmt::Display for HookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs `hooks` in order, giving each `state` (the container's OCI state,
/// `container::OciState`) as JSON on stdin, and stops at the first that fails.
/// The spec makes failures of poststart and poststop hooks warnings: the
/// caller logs those errors and goes on.
pub fn run_hooks(kind: HookKind, hooks: &[Hook], state: &impl Serialize) -> anyhow::Result<()> {
    let stdin = serde_json::to_vec(state)?;
    for (i, hook) in hooks.iter().enumerate() {
        run_hook(hook, &stdin).with_context(|| {
            format!("error running {kind} hook #{i} ({})", hook.path().display())
        })?;
    }
    Ok(())
}

/// How long to wait for a hook's output after it exits (a child it left
/// behind may hold the pipes open).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

fn run_hook(hook: &Hook, stdin: &[u8]) -> anyhow::Result<()> {
    let timeout = match hook.timeout() {
        Some(t) if t <= 0 => bail!("invalid timeout {t}: it must be above zero seconds"),
        Some(t) => Some(Duration::from_secs(t as u64)),
        None => None,
    };
    let mut cmd = Command::new(hook.path());
    if let Some(args) = hook.args().as_ref().filter(|a| !a.is_empty()) {
        cmd.arg0(&args[0]).args(&args[1..]);
    }
    // Like runc: a hook without `env` inherits the runtime's environment.
    if let Some(env) = hook.env() {
        cmd.env_clear();
        for kv in env {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            cmd.env(k, v);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;

    // Feed stdin and drain the output on threads, so that a hook which reads
    // neither cannot block us past its timeout.
    let mut input = child.stdin.take().expect("stdin is piped");
    let state = stdin.to_vec();
    std::thread::spawn(move || {
        // A hook need not read its stdin.
        let _ = input.write_all(&state);
    });
    let (tx, rx) = mpsc::channel();
    for (which, pipe) in [
        (
            0,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            1,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let tx = tx.clone();
        let mut pipe = pipe.expect("output is piped");
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((which, buf));
        });
    }

    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "timed out after {}s (the hook's timeout); killed",
                timeout.unwrap_or_default().as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if status.success() {
        return Ok(());
    }
    let mut output = [String::new(), String::new()];
    let deadline = Instant::now() + OUTPUT_GRACE;
    for _ in 0..2 {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((which, buf)) => {
                output[which] = String::from_utf8_lossy(&buf).trim_end().to_string()
            }
            Err(_) => break,
        }
    }
    bail!(
        "{}, stdout: {}, stderr: {}",
        describe(status),
        output[0],
        output[1]
    )
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::container::{OciState, Status};

    fn hook(json: serde_json::Value) -> Hook {
        serde_json::from_value(json).unwrap()
    }

    fn state() -> OciState {
        OciState {
            oci_version: oci_spec::runtime::VERSION.into(),
            id: "hooked".into(),
            pid: 1234,
            status: Status::Creating,
            bundle: "/bundle".into(),
            rootfs: "/bundle/rootfs".into(),
            created: "2024-01-01T00:00:00Z".into(),
            owner: "root".into(),
            annotations: [("a".to_string(), "b".to_string())].into(),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("runsc-hook-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn a_hook_reads_the_state_on_stdin() {
        let out = scratch("stdin");
        let h = hook(serde_json::json!({
            "path": "/bin/sh", "args": ["sh", "-c", format!("cat > {}", out.display())]
        }));
        run_hooks(HookKind::CreateRuntime, &[h], &state()).unwrap();
        let got: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(got, serde_json::to_value(state()).unwrap());
        assert_eq!(got["status"], "creating");
        assert_eq!(got["pid"], 1234);
        assert_eq!(got["annotations"]["a"], "b");
        let _ = std::fs::remove_file(out);
    }

    #[test]
    fn a_hook_gets_exactly_its_args_and_env() {
        let out = scratch("argv");
        let script = format!(
            "tr '\\0' ' ' < /proc/$$/cmdline > {0}; echo >> {0}; echo \"$FOO ${{HOME-unset}}\" >> {0}",
            out.display()
        );
        let h = hook(serde_json::json!({
            "path": "/bin/sh", "args": ["my-argv0", "-c", script], "env": ["FOO=bar=baz"]
        }));
        run_hooks(HookKind::Poststart, &[h], &state()).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("my-argv0 -c "), "{text}");
        assert_eq!(lines.next(), Some("bar=baz unset"));
        let _ = std::fs::remove_file(out);
    }

    #[test]
    fn a_failing_hook_names_its_kind_path_status_and_output() {
        let later = scratch("later");
        let hooks = [
            hook(
                serde_json::json!({"path": "/bin/sh", "args": ["sh", "-c", "echo out; echo oops >&2; exit 3"]}),
            ),
            hook(
                serde_json::json!({"path": "/bin/sh", "args": ["sh", "-c", format!("touch {}", later.display())]}),
            ),
        ];
        let err = format!(
            "{:#}",
            run_hooks(HookKind::CreateContainer, &hooks, &state()).unwrap_err()
        );
        for needle in [
            "createContainer hook #0",
            "/bin/sh",
            "exit status 3",
            "stdout: out",
            "stderr: oops",
        ] {
            assert!(err.contains(needle), "{needle:?} not in {err:?}");
        }
        assert!(!later.exists(), "hooks after a failing one must not run");
    }

    #[test]
    fn a_hook_past_its_timeout_is_killed_and_fails() {
        let h =
            hook(serde_json::json!({"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}));
        let start = Instant::now();
        let err = format!(
            "{:#}",
            run_hooks(HookKind::Prestart, &[h], &state()).unwrap_err()
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
        assert!(
            err.contains("prestart hook #0") && err.contains("timed out after 1s"),
            "{err}"
        );
        let zero = hook(serde_json::json!({"path": "/bin/true", "timeout": 0}));
        let err = format!(
            "{:#}",
            run_hooks(HookKind::Prestart, &[zero], &state()).unwrap_err()
        );
        assert!(err.contains("invalid timeout"), "{err}");
    }

    #[test]
    fn a_missing_hook_binary_is_an_error() {
        let h = hook(serde_json::json!({"path": "/nonexistent/hook"}));
        let err = format!(
            "{:#}",
            run_hooks(HookKind::Poststop, &[h], &state()).unwrap_err()
        );
        assert!(
            err.contains("poststop hook #0 (/nonexistent/hook)"),
            "{err}"
        );
        assert!(err.contains("No such file"), "{err}");
    }

    #[test]
    fn no_hooks_is_fine() {
        run_hooks(HookKind::StartContainer, &[], &state()).unwrap();
    }
}
