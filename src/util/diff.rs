//! Unified diffs of two texts (`scaffold diff`, `update --diff`), bounded as the merge is:
//! git's Myers diff with its heuristics (gix-imara-diff) where that is cheap, else a linear
//! one (the common start and end kept, the rest shown as one change), and a run's diffs
//! together within [`DIFF_SECONDS`]. A diff made the linear way says so: it is correct (it
//! turns one text into the other) but larger than it needs to be.
//!
//! Git's diff costs about the number of lines times the number of differences: for two
//! unrelated 400,000-line files some 4 s, for 1,000,000 lines 15 s; the old quadratic diff took
//! two minutes for a 400,000-line file against its 192-line template. Within the bounds
//! below, the worst case found takes 0.6 s in a release build.

use std::ops::Range;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gix_imara_diff::{Algorithm, Diff, InternedInput};

/// The most bytes either side of a diff may hold (a rendered file's limit); larger files are
/// not diffed.
pub(crate) const MAX_DIFF_BYTES: usize = crate::util::limits::MAX_FILE_BYTES;
/// The most lines either side of a diff may hold; longer files are not diffed.
pub(crate) const MAX_DIFF_LINES: usize = 1_000_000;
/// Git's diff runs when both sides together have at most this many lines (after their common
/// start and end)...
const MYERS_LINES: usize = 200_000;
/// ... or when one side has at most this many.
const MYERS_SHORT_SIDE: usize = 10_000;
/// The time all the diffs of one run may take by git's algorithm; after that, each is linear.
pub(crate) const DIFF_SECONDS: u64 = 4;
/// Lines of context around each change.
const CONTEXT: usize = 3;

/// Time spent so far by the diffs of this run.
static SPENT: Mutex<Duration> = Mutex::new(Duration::ZERO);

/// A unified diff, as lines without their `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unified {
    /// `--- a`, `+++ b`, then the hunks (empty when the texts are equal).
    pub(crate) lines: Vec<String>,
    /// Made the linear way: correct, but not the smallest diff.
    pub(crate) cut_short: bool,
}

/// What a diff of two files shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shown {
    /// The diff.
    Text(Unified),
    /// Not both text (a NUL byte in the first 8000 bytes, or not UTF-8).
    Binary,
    /// A side is larger than [`MAX_DIFF_BYTES`] or [`MAX_DIFF_LINES`].
    TooLarge,
}

/// Whether bytes are shown as text in a diff: UTF-8 without NUL in the first 8000 bytes.
fn is_text(bytes: &[u8]) -> bool {
    !bytes[..bytes.len().min(8000)].contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// The lines of `text`, each with its `\n` (the last may lack one).
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The diff of `old` (labelled `a`) and `new` (labelled `b`).
pub(crate) fn unified(old: &[u8], new: &[u8], a: &str, b: &str) -> Shown {
    if old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES {
        return Shown::TooLarge;
    }
    if !is_text(old) || !is_text(new) {
        return Shown::Binary;
    }
    let (old, new) = (
        std::str::from_utf8(old).unwrap_or_default(),
        std::str::from_utf8(new).unwrap_or_default(),
    );
    let (before, after) = (lines(old), lines(new));
    if before.len() > MAX_DIFF_LINES || after.len() > MAX_DIFF_LINES {
        return Shown::TooLarge;
    }
    let (changes, cut_short) = changes((old, &before), (new, &after));
    if changes.is_empty() {
        return Shown::Text(Unified {
            lines: Vec::new(),
            cut_short,
        });
    }
    let mut out = vec![format!("--- {a}"), format!("+++ {b}")];
    hunks(&before, &after, &changes, &mut out);
    Shown::Text(Unified {
        lines: out,
        cut_short,
    })
}

/// One change: lines `before` replaced by lines `after`.
type Change = (Range<usize>, Range<usize>);

/// The changes from `before` to `after` (each a text and its lines), and whether they were
/// found the linear way.
fn changes((old, before): (&str, &[&str]), (new, after): (&str, &[&str])) -> (Vec<Change>, bool) {
    let prefix = before.iter().zip(after).take_while(|(x, y)| x == y).count();
    let suffix = before[prefix..]
        .iter()
        .rev()
        .zip(after[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (old_mid, new_mid) = (prefix..before.len() - suffix, prefix..after.len() - suffix);
    if old_mid.is_empty() && new_mid.is_empty() {
        return (Vec::new(), false);
    }
    if old_mid.is_empty() || new_mid.is_empty() {
        return (vec![(old_mid, new_mid)], false);
    }
    let (n, m) = (old_mid.len(), new_mid.len());
    let affordable = n + m <= MYERS_LINES || n.min(m) <= MYERS_SHORT_SIDE;
    let budget_left = SPENT
        .lock()
        .is_ok_and(|s| *s < Duration::from_secs(DIFF_SECONDS));
    if !(affordable && budget_left) {
        return (vec![(old_mid, new_mid)], true);
    }
    let started = Instant::now();
    // The middles as text: imara's lines of a text are these lines, each with its `\n`.
    let bytes = |lines: &[&str]| lines.iter().map(|l| l.len()).sum::<usize>();
    let (old_at, new_at) = (bytes(&before[..prefix]), bytes(&after[..prefix]));
    let input = InternedInput::new(
        &old[old_at..old_at + bytes(&before[old_mid.clone()])],
        &new[new_at..new_at + bytes(&after[new_mid.clone()])],
    );
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let out = diff
        .hunks()
        .map(|h| {
            (
                prefix + h.before.start as usize..prefix + h.before.end as usize,
                prefix + h.after.start as usize..prefix + h.after.end as usize,
            )
        })
        .collect();
    if let Ok(mut spent) = SPENT.lock() {
        *spent += started.elapsed();
    }
    (out, false)
}

/// A hunk range as `diff -u` writes it: `start,len`, `start` alone for one line, and for no
/// line the line before.
fn range(start: usize, len: usize) -> String {
    match len {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{len}", start + 1),
    }
}

/// Appends one line of a hunk: its sign and text, and git's note when it ends the file without
/// a newline.
fn push(out: &mut Vec<String>, sign: char, text: &str) {
    if let Some(text) = text.strip_suffix('\n') {
        out.push(format!("{sign}{text}"));
    } else {
        out.push(format!("{sign}{text}"));
        out.push("\\ No newline at end of file".to_string());
    }
}

/// Appends the hunks of `changes` (sorted, apart) with [`CONTEXT`] lines around each; changes
/// closer than twice that share a hunk.
fn hunks(before: &[&str], after: &[&str], changes: &[Change], out: &mut Vec<String>) {
    let mut i = 0;
    while i < changes.len() {
        let mut j = i;
        while j + 1 < changes.len() && changes[j + 1].0.start - changes[j].0.end <= 2 * CONTEXT {
            j += 1;
        }
        let (first, last) = (&changes[i], &changes[j]);
        let lead = CONTEXT.min(first.0.start);
        let trail = CONTEXT.min(before.len() - last.0.end);
        let (old_start, new_start) = (first.0.start - lead, first.1.start - lead);
        let (old_end, new_end) = (last.0.end + trail, last.1.end + trail);
        out.push(format!(
            "@@ -{} +{} @@",
            range(old_start, old_end - old_start),
            range(new_start, new_end - new_start)
        ));
        let mut at = old_start;
        for (old, new) in &changes[i..=j] {
            for text in &before[at..old.start] {
                push(out, ' ', text);
            }
            for text in &before[old.clone()] {
                push(out, '-', text);
            }
            for text in &after[new.clone()] {
                push(out, '+', text);
            }
            at = old.end;
        }
        for text in &before[at..old_end] {
            push(out, ' ', text);
        }
        i = j + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f(from)` ... `f(to - 1)`, one after another.
    fn numbered(from: usize, to: usize, mut f: impl FnMut(usize) -> String) -> String {
        let mut out = String::new();
        for i in from..to {
            out.push_str(&f(i));
        }
        out
    }

    fn shown(old: &str, new: &str) -> String {
        match unified(old.as_bytes(), new.as_bytes(), "a/f", "b/f") {
            Shown::Text(u) => u.lines.join("\n"),
            other => format!("{other:?}"),
        }
    }

    /// The format of `diff -u` and `git diff`: ranges, context, the note on a missing final
    /// newline, hunks joined when their context touches.
    #[test]
    fn unified_diffs_are_gits() {
        let ten = numbered(1, 11, |i| format!("{i}\n"));
        for (old, new, want) in [
            ("a\n", "a\n", ""),
            ("", "a\n", "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+a"),
            ("a\nb\n", "", "--- a/f\n+++ b/f\n@@ -1,2 +0,0 @@\n-a\n-b"),
            (
                "a\nb",
                "a\nc",
                "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file",
            ),
            (
                "a\nb",
                "a\nb\n",
                "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b",
            ),
            (
                &ten,
                &ten.replace("5\n", "five\n"),
                "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8",
            ),
            (
                &ten,
                &ten.replace("1\n", "one\n").replace("8\n", "eight\n"),
                "--- a/f\n+++ b/f\n@@ -1,10 +1,10 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n 9\n 10",
            ),
            (
                &ten,
                &ten.replace("1\n", "one\n").replace("9\n", "nine\n"),
                "--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -6,5 +6,5 @@\n 6\n 7\n 8\n-9\n+nine\n 10",
            ),
        ] {
            assert_eq!(shown(old, new), want, "{old:?} -> {new:?}");
        }
        assert_eq!(unified(b"a\0", b"b", "a", "b"), Shown::Binary);
        assert_eq!(unified(b"\xff", b"b", "a", "b"), Shown::Binary);
        let huge = vec![b'\n'; MAX_DIFF_LINES + 1];
        assert_eq!(unified(&huge, b"b", "a", "b"), Shown::TooLarge);
    }

    /// Past the bounds, a diff is linear and says so; it still turns one text into the other.
    #[test]
    fn past_the_bounds_a_diff_is_linear_and_cut_short() {
        let side = |seed: u64| -> String {
            let mut x = seed;
            numbered(0, 120_000, |_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                format!("{}\n", (b'a' + ((x >> 33) % 26) as u8) as char)
            })
        };
        let (old, new) = (
            format!("same\n{}same\n", side(1)),
            format!("same\n{}same\n", side(2)),
        );
        let Shown::Text(u) = unified(old.as_bytes(), new.as_bytes(), "a", "b") else {
            panic!("not text");
        };
        assert!(u.cut_short);
        assert_eq!(u.lines[2], "@@ -1,120002 +1,120002 @@");
        let removed: String = u
            .lines
            .iter()
            .filter_map(|l| l.strip_prefix('-'))
            .filter(|l| !l.starts_with("--"))
            .flat_map(|l| [l, "\n"])
            .collect();
        assert_eq!(removed, side(1));
        // A long file against a short one is cheap: git's diff, not cut short.
        let long = numbered(0, 400_000, |i| format!("{}\n", i % 997));
        let Shown::Text(u) = unified(b"x\ny\n", long.as_bytes(), "a", "b") else {
            panic!("not text");
        };
        assert!(!u.cut_short);
    }
}
