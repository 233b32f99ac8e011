//! Debian's busybox-static: a real-world static binary, not built by us.

use std::path::Path;
use tests::{Expect, assert_same_binary};

const BUSYBOX: &str = "/bin/busybox";

/// `busybox args...` natively and sandboxed, or a printed skip.
fn busybox(args: &[&str], expect: Expect) {
    let label = format!("busybox {args:?}");
    if !Path::new(BUSYBOX).is_file() {
        tests::skip::report(&format!(
            "{label}: {BUSYBOX} missing (apt-get install busybox-static)"
        ));
        return;
    }
    assert_same_binary(&label, Path::new(BUSYBOX), args, &expect);
}

#[test]
fn echo() {
    busybox(&["echo", "hello"], Expect::exit(0).with_stdout("hello\n"));
}

#[test]
fn sh_exit_status() {
    busybox(&["sh", "-c", "exit 3"], Expect::exit(3).with_stdout(""));
}
