//! `#!` scripts: the kernel runs the interpreter with argv
//! [interpreter, optional-arg, script-path, script-args...].

use std::fs;
use tests::compile::write_atomically;
use tests::paths::ctests_dir;
use tests::{Expect, Variant, assert_same_binary, program};

fn shebang(variant: Variant) {
    let label = format!("shebang [{}]", variant.name());
    let interp = match program("print_argv", variant) {
        Ok(p) => p,
        Err(skip) => return skip.report(&label),
    };
    let dir = ctests_dir().join("scripts");
    fs::create_dir_all(&dir).expect("create ctests/scripts");
    let script = dir.join(format!("print_argv-{}.sh", variant.name()));
    let text = format!("#!{} optarg\nthis line is never read\n", interp.display());
    write_atomically(&script, text.as_bytes(), 0o755).expect("write script");

    let expect = Expect::exit(0).with_stdout(expected_argv(&[
        &interp.display().to_string(),
        "optarg",
        &script.display().to_string(),
        "one",
        "two",
    ]));
    assert_same_binary(&label, &script, &["one", "two"], &expect);
}

/// What print_argv prints for `argv`.
fn expected_argv(argv: &[&str]) -> String {
    let mut s = format!("argc: {}\n", argv.len());
    for (i, a) in argv.iter().enumerate() {
        s.push_str(&format!("argv[{i}]: [{a}]\n"));
    }
    s
}

#[test]
fn interpreter_static_exe() {
    shebang(Variant::Static);
}

#[test]
fn interpreter_static_pie() {
    shebang(Variant::StaticPie);
}

#[test]
fn interpreter_dynamic() {
    shebang(Variant::Dynamic);
}
