//! A small line diff for failure reports (outputs here are short).

/// Lines of `a` and `b` with a marker each: "  " in both, "- " only in
/// `a`, "+ " only in `b`. Uses a longest-common-subsequence table, so it is
/// meant for outputs of at most a few thousand lines.
pub fn line_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return format!("(too long to diff: {} vs {} lines)\n", a.len(), b.len());
    }
    // lcs[i][j]: length of the common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            push(&mut out, "  ", a[i]);
            i += 1;
            j += 1;
        } else if j == b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            push(&mut out, "- ", a[i]);
            i += 1;
        } else {
            push(&mut out, "+ ", b[j]);
            j += 1;
        }
    }
    out
}

fn push(out: &mut String, mark: &str, line: &str) {
    out.push_str(mark);
    out.push_str(line);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn marks_changed_lines() {
        let d = line_diff("a\nb\nc\n", "a\nx\nc\nd\n");
        assert_eq!(d, "  a\n- b\n+ x\n  c\n+ d\n");
    }

    #[test]
    fn equal_inputs_have_no_markers() {
        assert_eq!(line_diff("a\nb\n", "a\nb\n"), "  a\n  b\n");
    }
}
