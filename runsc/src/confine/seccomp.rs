//! Compiling and installing the sentry's seccomp filter (rules in
//! `sentry_rules.rs`), and listing it (`runsc seccomp`).

use std::collections::BTreeMap;

use anyhow::Context;
use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule, TargetArch, sock_filter};

use super::sentry_rules::{Action, Facts, Rule, rules};

/// What a call outside the allowlist does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Kill the whole sandbox.
    Enforce,
    /// Allow it and log it to the kernel's audit log (`dmesg`): for finding
    /// the calls a change to the sentry needs.
    Log,
}

/// The compiled filter: the refused calls first, then seccompiler's program
/// for the allowed ones.
pub fn build(facts: &Facts, mode: Mode) -> anyhow::Result<BpfProgram> {
    let mut allowed: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    let mut refused = Vec::new();
    for rule in rules(facts) {
        match rule.action {
            Action::Allow(sets) => {
                let mut alternatives = Vec::new();
                for set in sets {
                    alternatives.push(SeccompRule::new(set).context("a seccomp rule")?);
                }
                allowed.insert(rule.sysno, alternatives);
            }
            Action::Refuse(errno) => refused.push((rule.sysno, errno)),
        }
    }
    let mismatch = match mode {
        Mode::Enforce => SeccompAction::KillProcess,
        Mode::Log => SeccompAction::Log,
    };
    let filter = SeccompFilter::new(allowed, mismatch, SeccompAction::Allow, TargetArch::x86_64)
        .context("the sentry's seccomp filter")?;
    let program: BpfProgram = filter.try_into().context("compiling the seccomp filter")?;
    let mut out = refusals(&refused);
    out.extend(program);
    Ok(out)
}

/// `if nr == N return ERRNO(e)` for each refused call. It runs before the
/// architecture check of the allowlist: the numbers refused mean the same
/// call, or none, in the other x86 ABIs, and ERRNO is harmless either way.
fn refusals(refused: &[(i64, u32)]) -> Vec<sock_filter> {
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let ins = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    let mut out = Vec::new();
    for &(nr, errno) in refused {
        // Offset 0 of struct seccomp_data: the syscall number.
        out.push(ins(LD_W_ABS, 0, 0, 0));
        out.push(ins(JEQ_K, 0, 1, nr as u32));
        out.push(ins(RET_K, 0, 0, libc::SECCOMP_RET_ERRNO | (errno & 0xffff)));
    }
    out
}

/// Installs the filter on every thread of the process (TSYNC). Needs
/// `no_new_privs` (or CAP_SYS_ADMIN).
pub fn install(facts: &Facts, mode: Mode) -> anyhow::Result<()> {
    let program = build(facts, mode)?;
    seccompiler::apply_filter_all_threads(&program).context("installing the seccomp filter")
}

/// The name of system call `nr`.
pub fn name(nr: i64) -> &'static str {
    abi::sysno::SYSCALL_NAMES
        .iter()
        .find(|(n, _)| *n as i64 == nr)
        .map(|(_, name)| *name)
        .unwrap_or("?")
}

/// The rules as text: one line per call (number, name, argument filter, why).
pub fn listing(facts: &Facts) -> String {
    let mut rules: Vec<Rule> = rules(facts);
    rules.sort_by_key(|r| r.sysno);
    let mut out = String::new();
    let allowed = rules
        .iter()
        .filter(|r| matches!(r.action, Action::Allow(_)))
        .count();
    out.push_str(&format!(
        "# The sentry's seccomp filter: {allowed} host system calls allowed, anything else kills the sandbox.\n"
    ));
    for r in &rules {
        let verdict = match r.action {
            Action::Allow(_) if r.args.is_empty() => "allow".to_string(),
            Action::Allow(_) => format!("allow if {}", r.args),
            Action::Refuse(errno) => format!(
                "refuse with {}",
                abi::Errno(errno as u16).name().unwrap_or("?")
            ),
        };
        out.push_str(&format!(
            "{:3} {:<18} {verdict}\n    {}\n",
            r.sysno,
            name(r.sysno),
            r.why
        ));
    }
    out
}

/// The rules as JSON: `[{nr, name, action, args, why}]`.
pub fn listing_json(facts: &Facts) -> serde_json::Value {
    let mut rules: Vec<Rule> = rules(facts);
    rules.sort_by_key(|r| r.sysno);
    serde_json::Value::Array(
        rules
            .iter()
            .map(|r| {
                let action = match r.action {
                    Action::Allow(_) => "allow".to_string(),
                    Action::Refuse(errno) => format!("errno {errno}"),
                };
                serde_json::json!({
                    "nr": r.sysno,
                    "name": name(r.sysno),
                    "action": action,
                    "args": r.args,
                    "why": r.why,
                })
            })
            .collect(),
    )
}
