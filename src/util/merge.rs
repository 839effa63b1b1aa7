//! Three-way text merge in process, with output byte-identical to `git merge-file`.
//!
//! The diffs come from gix-imara-diff, gitoxide's port of git's xdiff Myers diff (the same
//! preprocessing, heuristics and hunk compaction). The merge on top of them follows git's
//! `xdl_merge` at the level `git merge-file` uses (`XDL_MERGE_ZEALOUS_ALNUM`): changes of the
//! two sides that overlap or touch become a conflict; each conflict is refined by diffing the
//! two sides' versions against each other, so lines they agree on move out of it; conflicts
//! separated by at most three lines, or by lines without a letter or digit, are joined again;
//! markers are 7 characters, in the "merge" style (no base section), and end in CRLF exactly
//! when git's `is_cr_needed` says so. gix-merge's text driver (0.23) was tried first: it
//! neither refines nor joins conflicts and picks marker line endings by a heuristic of its
//! own, and differed from git on 13 of the first 35 random triples of the test below.
//!
//! The golden fixtures in `tests/fixtures/merge`, made once with
//! `git merge-file -p -L yours -L base -L "template 1.2.0"`, lock the behaviour without git;
//! two more tests compare with the installed git on the fixtures and on random triples.
//!
//! Binary content is the caller's business: check [`is_binary`] first and never text-merge
//! such files. Inputs are bounded ([`MAX_MERGE_BYTES`], [`MAX_MERGE_LINES`]) so that a
//! hostile or accidental huge file ends in a [`TooLarge`] error instead of a long merge.

use anyhow::{Result, bail};
use gix_imara_diff::{
    Algorithm, Diff, InternedInput, NoSliderHeuristic, Token, sources::byte_lines,
};

/// The most bytes one side of a merge may hold.
pub(crate) const MAX_MERGE_BYTES: usize = 8 * 1024 * 1024;

/// The most lines one side of a merge may hold. The diffs' cost grows with the number of lines
/// times the number of differences: at this limit, three unrelated sides of random one-letter
/// lines (the worst case found) merge in 0.6 s in a release build on the 2-core CI machine;
/// realistic edits of 100,000 lines take 25 to 70 ms.
pub(crate) const MAX_MERGE_LINES: usize = 100_000;

/// The length of the conflict markers (`<<<<<<<`), git's default.
const MARKER_SIZE: usize = 7;

/// git stops looking for a NUL byte after this many bytes (`buffer_is_binary`).
const BINARY_PROBE_BYTES: usize = 8000;

/// The user's side in the conflict markers an update writes: `<<<<<<< yours`.
pub(crate) const OURS: &str = "yours";

/// The suffix of the template's version written beside a binary file that conflicts.
pub(crate) const SIDE_SUFFIX: &str = ".scaffold-new";

/// How many lines of `bytes` open a conflict as an update writes them: `<<<<<<< {ours}` (with
/// its line ending). Each conflict of a merge opens with one; any more are the text's own.
pub(crate) fn open_markers(bytes: &[u8], ours: &str) -> usize {
    let start = format!("<<<<<<< {ours}");
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| line.strip_suffix(b"\r").unwrap_or(line) == start.as_bytes())
        .count()
}

/// What each side of a merge is called in the conflict markers: `<<<<<<< {ours}` and
/// `>>>>>>> {theirs}`. `base` names the common ancestor (not shown in the "merge" style, kept
/// so that the call reads like `git merge-file -L ours -L base -L theirs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Labels<'a> {
    /// The user's side, for example `yours`.
    pub(crate) ours: &'a str,
    /// The common ancestor, for example `base` or `template 1.1.0`.
    pub(crate) base: &'a str,
    /// The incoming side, for example `template 1.2.0`.
    pub(crate) theirs: &'a str,
}

/// The result of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merged {
    /// The merged file, with conflict markers where both sides changed the same lines.
    pub(crate) bytes: Vec<u8>,
    /// How many conflict regions the merge wrote (0: clean). Equal to the exit status of
    /// `git merge-file`, except that git stops counting at 127.
    pub(crate) conflicts: usize,
}

/// The error [`merge3`] returns when one side is above [`MAX_MERGE_BYTES`] or
/// [`MAX_MERGE_LINES`]; the caller can find it with `err.downcast_ref::<TooLarge>()` and treat
/// the file like a binary one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLarge {
    /// Which side: `ours`, `base` or `theirs`.
    pub(crate) side: &'static str,
    /// Its size in bytes.
    pub(crate) bytes: usize,
    /// Its number of lines (not counted past [`MAX_MERGE_BYTES`]).
    pub(crate) lines: usize,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.bytes > MAX_MERGE_BYTES {
            write!(
                f,
                "the {} version is too large to merge ({} bytes, the limit is {MAX_MERGE_BYTES})",
                self.side, self.bytes
            )
        } else {
            write!(
                f,
                "the {} version is too large to merge ({} lines, the limit is {MAX_MERGE_LINES})",
                self.side, self.lines
            )
        }
    }
}

impl std::error::Error for TooLarge {}

/// True when `bytes` must not be text-merged: a NUL byte in the first 8000 bytes (git's own
/// test, which makes `git merge-file` refuse the file) or content that is not UTF-8.
pub(crate) fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_PROBE_BYTES)].contains(&0) || std::str::from_utf8(bytes).is_err()
}

/// Merges the changes from `base` to `theirs` into `ours`, as
/// `git merge-file -p -L <ours> -L <base> -L <theirs> ours base theirs` does, byte for byte.
///
/// Fails with [`TooLarge`] when a side is over the limits, and when a label contains a line
/// break (it would break the marker line). Works on any bytes; whether they should be merged
/// as text is for [`is_binary`] to say.
pub(crate) fn merge3(
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    labels: &Labels<'_>,
) -> Result<Merged> {
    for (side, bytes) in [("ours", ours), ("base", base), ("theirs", theirs)] {
        check_size(side, bytes)?;
    }
    for label in [labels.ours, labels.base, labels.theirs] {
        if label.contains(['\n', '\r']) {
            bail!("the merge label {label:?} contains a line break");
        }
    }
    let texts = Texts::new(base, ours, theirs);
    let ours_changes = texts.diff(&texts.base_tokens, &texts.ours_tokens);
    let theirs_changes = texts.diff(&texts.base_tokens, &texts.theirs_tokens);
    // As git: when one side did not change anything, the result is the other side as is.
    if ours_changes.is_empty() {
        return Ok(Merged {
            bytes: theirs.to_vec(),
            conflicts: 0,
        });
    }
    if theirs_changes.is_empty() {
        return Ok(Merged {
            bytes: ours.to_vec(),
            conflicts: 0,
        });
    }
    let regions = combine(&texts, &ours_changes, &theirs_changes);
    let regions = refine(&texts, regions);
    let regions = join_close_conflicts(&texts, regions);
    Ok(write(&texts, &regions, labels))
}

fn check_size(side: &'static str, bytes: &[u8]) -> Result<(), TooLarge> {
    // Lines as the diff sees them: a last line without newline counts too.
    let lines = bytes
        .iter()
        .take(MAX_MERGE_BYTES + 1)
        .filter(|&&b| b == b'\n')
        .count()
        + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    if bytes.len() > MAX_MERGE_BYTES || lines > MAX_MERGE_LINES {
        return Err(TooLarge {
            side,
            bytes: bytes.len(),
            lines,
        });
    }
    Ok(())
}

/// The three versions as lines (each with its line ending) and as interned tokens.
struct Texts<'a> {
    base: Vec<&'a [u8]>,
    ours: Vec<&'a [u8]>,
    theirs: Vec<&'a [u8]>,
    base_tokens: Vec<Token>,
    ours_tokens: Vec<Token>,
    theirs_tokens: Vec<Token>,
    num_tokens: u32,
}

impl<'a> Texts<'a> {
    fn new(base: &'a [u8], ours: &'a [u8], theirs: &'a [u8]) -> Texts<'a> {
        let mut input = InternedInput::default();
        input.update_before(byte_lines(base));
        input.update_after(byte_lines(ours));
        let ours_tokens = std::mem::take(&mut input.after);
        input.update_after(byte_lines(theirs));
        Texts {
            base: lines(base).collect(),
            ours: lines(ours).collect(),
            theirs: lines(theirs).collect(),
            base_tokens: std::mem::take(&mut input.before),
            ours_tokens,
            theirs_tokens: std::mem::take(&mut input.after),
            num_tokens: input.interner.num_tokens(),
        }
    }

    /// git's diff (`xdl_do_diff`, then `xdl_change_compact` both ways, no indent heuristic).
    fn diff(&self, before: &[Token], after: &[Token]) -> Vec<Change> {
        let mut diff = Diff::default();
        diff.compute_with(Algorithm::Myers, before, after, self.num_tokens);
        diff.postprocess_with(before, after, NoSliderHeuristic);
        diff.hunks()
            .map(|hunk| Change {
                before: hunk.before.start as usize,
                before_len: hunk.before.len(),
                after: hunk.after.start as usize,
                after_len: hunk.after.len(),
            })
            .collect()
    }
}

/// The lines of `bytes`, each with its line ending; the last one may have none.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split_inclusive(|&b| b == b'\n')
}

/// One hunk of a two-way diff: `before_len` lines at `before` became `after_len` lines at
/// `after`.
#[derive(Debug, Clone, Copy)]
struct Change {
    before: usize,
    before_len: usize,
    after: usize,
    after_len: usize,
}

/// What the result holds for a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Take {
    /// Both sides changed it differently: markers around both versions.
    Conflict,
    /// Only ours changed it.
    Ours,
    /// Only theirs changed it.
    Theirs,
    /// A conflict whose two versions turned out identical: ours, like unchanged text.
    Same,
}

/// A changed region, as a range of lines in each of the three versions (git's `xdmerge_t`).
/// Positions are signed because git's arithmetic on them goes through negative offsets.
#[derive(Debug, Clone, Copy)]
struct Region {
    take: Take,
    base: isize,
    base_len: isize,
    ours: isize,
    ours_len: isize,
    theirs: isize,
    theirs_len: isize,
}

/// Appends `region`, or extends the last region with it when they overlap or touch in ours
/// or in theirs (a region so extended from different kinds is a conflict).
fn push(regions: &mut Vec<Region>, region: Region) {
    if let Some(last) = regions.last_mut()
        && (region.ours <= last.ours + last.ours_len
            || region.theirs <= last.theirs + last.theirs_len)
    {
        if region.take != last.take {
            last.take = Take::Conflict;
        }
        last.base_len = region.base + region.base_len - last.base;
        last.ours_len = region.ours + region.ours_len - last.ours;
        last.theirs_len = region.theirs + region.theirs_len - last.theirs;
        return;
    }
    regions.push(region);
}

/// Walks both diffs in order of the base and turns them into regions (`xdl_do_merge`).
fn combine(texts: &Texts<'_>, ours: &[Change], theirs: &[Change]) -> Vec<Region> {
    let signed = usize::cast_signed;
    let mut regions = Vec::new();
    let (mut a, mut b) = (0, 0);
    while let (Some(o), Some(t)) = (ours.get(a), theirs.get(b)) {
        let (o_base, o_len, o_side, o_side_len) = (
            signed(o.before),
            signed(o.before_len),
            signed(o.after),
            signed(o.after_len),
        );
        let (t_base, t_len, t_side, t_side_len) = (
            signed(t.before),
            signed(t.before_len),
            signed(t.after),
            signed(t.after_len),
        );
        if o_base + o_len < t_base {
            push(
                &mut regions,
                Region {
                    take: Take::Ours,
                    base: o_base,
                    base_len: o_len,
                    ours: o_side,
                    ours_len: o_side_len,
                    theirs: t_side - t_base + o_base,
                    theirs_len: o_len,
                },
            );
            a += 1;
            continue;
        }
        if t_base + t_len < o_base {
            push(
                &mut regions,
                Region {
                    take: Take::Theirs,
                    base: t_base,
                    base_len: t_len,
                    ours: o_side - o_base + t_base,
                    ours_len: t_len,
                    theirs: t_side,
                    theirs_len: t_side_len,
                },
            );
            b += 1;
            continue;
        }
        let same_change = o_base == t_base
            && o_len == t_len
            && o_side_len == t_side_len
            && texts.ours_tokens[o.after..o.after + o.after_len]
                == texts.theirs_tokens[t.after..t.after + t.after_len];
        if !same_change {
            push(
                &mut regions,
                union(
                    [o_base, o_len, o_side, o_side_len],
                    [t_base, t_len, t_side, t_side_len],
                ),
            );
        }
        let (o_end, t_end) = (o_base + o_len, t_base + t_len);
        if o_end >= t_end {
            b += 1;
        }
        if t_end >= o_end {
            a += 1;
        }
    }
    rest(
        texts,
        &ours[a.min(ours.len())..],
        &theirs[b.min(theirs.len())..],
        &mut regions,
    );
    regions
}

/// The conflict covering two overlapping changes, each `[base, base_len, side, side_len]`: the
/// union of both, as ranges of each version.
fn union(o: [isize; 4], t: [isize; 4]) -> Region {
    let [o_base, o_len, o_side, o_side_len] = o;
    let [t_base, t_len, t_side, t_side_len] = t;
    let off = o_base - t_base;
    let ffo = off + o_len - t_len;
    let (mut base, mut ours_at, mut theirs_at) = (o_base, o_side, t_side);
    if off > 0 {
        base -= off;
        ours_at -= off;
    } else {
        theirs_at += off;
    }
    let mut base_len = o_base + o_len - base;
    let mut ours_len = o_side + o_side_len - ours_at;
    let mut theirs_len = t_side + t_side_len - theirs_at;
    if ffo < 0 {
        base_len -= ffo;
        ours_len -= ffo;
    } else {
        theirs_len += ffo;
    }
    Region {
        take: Take::Conflict,
        base,
        base_len,
        ours: ours_at,
        ours_len,
        theirs: theirs_at,
        theirs_len,
    }
}

/// The changes left on one side once the other has none.
fn rest(texts: &Texts<'_>, ours: &[Change], theirs: &[Change], regions: &mut Vec<Region>) {
    let signed = usize::cast_signed;
    let (base_n, ours_n, theirs_n) = (
        signed(texts.base.len()),
        signed(texts.ours.len()),
        signed(texts.theirs.len()),
    );
    for o in ours {
        push(
            regions,
            Region {
                take: Take::Ours,
                base: signed(o.before),
                base_len: signed(o.before_len),
                ours: signed(o.after),
                ours_len: signed(o.after_len),
                theirs: signed(o.before) + theirs_n - base_n,
                theirs_len: signed(o.before_len),
            },
        );
    }
    for t in theirs {
        push(
            regions,
            Region {
                take: Take::Theirs,
                base: signed(t.before),
                base_len: signed(t.before_len),
                ours: signed(t.before) + ours_n - base_n,
                ours_len: signed(t.before_len),
                theirs: signed(t.after),
                theirs_len: signed(t.after_len),
            },
        );
    }
}

/// The lines `start..start + len` of `lines`, empty where the range does not fit (which the
/// region arithmetic never produces, but hostile input must not turn into a panic).
fn slice<T>(lines: &[T], start: isize, len: isize) -> &[T] {
    let (Ok(start), Ok(len)) = (usize::try_from(start), usize::try_from(len)) else {
        return &[];
    };
    lines.get(start..start.saturating_add(len)).unwrap_or(&[])
}

/// Diffs the two versions of each conflict against each other, so that only the lines on
/// which they differ stay in conflict, each group of them as a conflict of its own
/// (`xdl_refine_conflicts`). A conflict whose versions are identical is no conflict.
fn refine(texts: &Texts<'_>, regions: Vec<Region>) -> Vec<Region> {
    let mut refined = Vec::with_capacity(regions.len());
    for region in regions {
        if region.take != Take::Conflict || region.ours_len == 0 || region.theirs_len == 0 {
            refined.push(region);
            continue;
        }
        let ours = slice(&texts.ours_tokens, region.ours, region.ours_len);
        let theirs = slice(&texts.theirs_tokens, region.theirs, region.theirs_len);
        let changes = texts.diff(ours, theirs);
        if changes.is_empty() {
            refined.push(Region {
                take: Take::Same,
                ..region
            });
            continue;
        }
        refined.extend(changes.iter().map(|c| Region {
            ours: region.ours + c.before.cast_signed(),
            ours_len: c.before_len.cast_signed(),
            theirs: region.theirs + c.after.cast_signed(),
            theirs_len: c.after_len.cast_signed(),
            ..region
        }));
    }
    refined
}

/// Joins neighbouring conflicts separated by at most three lines, or only by lines without an
/// ASCII letter or digit: one conflict is easier to resolve than two with a few shared lines
/// between them (`xdl_simplify_non_conflicts`, with the `ALNUM` rule of `git merge-file`).
fn join_close_conflicts(texts: &Texts<'_>, regions: Vec<Region>) -> Vec<Region> {
    let mut joined: Vec<Region> = Vec::with_capacity(regions.len());
    for next in regions {
        if let Some(last) = joined.last_mut()
            && last.take == Take::Conflict
            && next.take == Take::Conflict
        {
            let between = slice(
                &texts.ours,
                last.ours + last.ours_len,
                next.ours - (last.ours + last.ours_len),
            );
            let gap = next.ours - (last.ours + last.ours_len);
            if gap <= 3
                || !between
                    .iter()
                    .any(|line| line.iter().any(u8::is_ascii_alphanumeric))
            {
                last.base_len = next.base + next.base_len - last.base;
                last.ours_len = next.ours + next.ours_len - last.ours;
                last.theirs_len = next.theirs + next.theirs_len - last.theirs;
                continue;
            }
        }
        joined.push(next);
    }
    joined
}

/// git's `is_eol_crlf`: whether line `i` of `lines` ends in CRLF, judged from the line before
/// for a last line without line ending; `None` when nothing can tell.
fn ends_in_crlf(lines: &[&[u8]], i: usize) -> Option<bool> {
    let crlf = |line: &[u8]| line.ends_with(b"\r\n");
    let line = lines.get(i)?;
    if i + 1 < lines.len() || line.ends_with(b"\n") {
        return Some(crlf(line));
    }
    let before = lines.get(i.checked_sub(1)?)?;
    Some(crlf(before))
}

/// git's `is_cr_needed`: marker lines end in CRLF when the line before the conflict (or the
/// first line) in both sides, and the base's first line, end in CRLF.
fn needs_crlf(texts: &Texts<'_>, region: &Region) -> bool {
    let before = |at: isize| usize::try_from(at - 1).unwrap_or(0);
    ends_in_crlf(&texts.ours, before(region.ours)) != Some(false)
        && ends_in_crlf(&texts.theirs, before(region.theirs)) != Some(false)
        && ends_in_crlf(&texts.base, 0) == Some(true)
}

/// Writes the merged file (`xdl_fill_merge_buffer` for the "merge" style).
fn write(texts: &Texts<'_>, regions: &[Region], labels: &Labels<'_>) -> Merged {
    fn copy(out: &mut Vec<u8>, lines: &[&[u8]], complete_last_line: Option<bool>) {
        for line in lines {
            out.extend_from_slice(line);
        }
        if let (Some(crlf), Some(last)) = (complete_last_line, lines.last())
            && !last.ends_with(b"\n")
        {
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    fn marker(out: &mut Vec<u8>, sign: u8, label: Option<&str>, crlf: bool) {
        out.extend(std::iter::repeat_n(sign, MARKER_SIZE));
        if let Some(label) = label {
            out.push(b' ');
            out.extend_from_slice(label.as_bytes());
        }
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    }

    let mut out = Vec::with_capacity(
        texts
            .ours
            .iter()
            .chain(&texts.theirs)
            .map(|l| l.len())
            .sum(),
    );
    let mut conflicts = 0;
    let mut done: isize = 0; // lines of ours already in `out`, or replaced
    for region in regions {
        match region.take {
            Take::Same => continue,
            Take::Conflict => {
                conflicts += 1;
                let crlf = needs_crlf(texts, region);
                copy(&mut out, slice(&texts.ours, done, region.ours - done), None);
                marker(&mut out, b'<', Some(labels.ours), crlf);
                copy(
                    &mut out,
                    slice(&texts.ours, region.ours, region.ours_len),
                    Some(crlf),
                );
                marker(&mut out, b'=', None, crlf);
                copy(
                    &mut out,
                    slice(&texts.theirs, region.theirs, region.theirs_len),
                    Some(crlf),
                );
                marker(&mut out, b'>', Some(labels.theirs), crlf);
            }
            Take::Ours => {
                copy(&mut out, slice(&texts.ours, done, region.ours - done), None);
                copy(
                    &mut out,
                    slice(&texts.ours, region.ours, region.ours_len),
                    None,
                );
            }
            Take::Theirs => {
                copy(&mut out, slice(&texts.ours, done, region.ours - done), None);
                copy(
                    &mut out,
                    slice(&texts.theirs, region.theirs, region.theirs_len),
                    None,
                );
            }
        }
        done = region.ours + region.ours_len;
    }
    let rest = texts.ours.len().cast_signed() - done;
    copy(&mut out, slice(&texts.ours, done, rest), None);
    Merged {
        bytes: out,
        conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// The labels `scaffold update` uses, and the ones the fixtures were made with.
    const LABELS: Labels<'static> = Labels {
        ours: "yours",
        base: "base",
        theirs: "template 1.2.0",
    };

    /// git's exit status counts conflicts up to 127.
    const GIT_MAX_STATUS: usize = 127;

    /// The 16 cases of LIFECYCLE.md section 2.2, and more about line endings, counting, and
    /// git's refining and joining of conflicts. Each directory holds `base`, `ours`, `theirs`,
    /// git's output `expected` and its exit status `conflicts`.
    const CASES: &[&str] = &[
        "add-add-empty-base",
        "adjacent-lines",
        "both-append",
        "close-conflicts-joined",
        "conflict-split-by-agreed-lines",
        "conflicts-joined-across-punctuation",
        "crlf-add-add-empty-base",
        "crlf-clean",
        "crlf-conflict",
        "crlf-conflict-on-first-line",
        "crlf-no-eol-conflict",
        "crlf-theirs-only-conflict",
        "delete-vs-modify",
        "disjoint-edits",
        "empty-ours",
        "identical-everywhere",
        "many-conflicts",
        "marker-looking-text",
        "marker-text-with-conflict",
        "mixed-eol-conflict",
        "moved-and-edited-function",
        "no-eol-added-by-one-side",
        "no-eol-clean",
        "no-eol-conflict",
        "no-eol-removed-vs-edited",
        "ours-unchanged",
        "plain-conflict",
        "repetitive-blocks",
        "same-change-both-sides",
        "several-conflicts",
    ];

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merge")
    }

    struct Case {
        name: &'static str,
        dir: PathBuf,
        base: Vec<u8>,
        ours: Vec<u8>,
        theirs: Vec<u8>,
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn cases() -> Vec<Case> {
        CASES
            .iter()
            .map(|&name| {
                let dir = fixtures().join(name);
                Case {
                    name,
                    base: read(&dir.join("base")),
                    ours: read(&dir.join("ours")),
                    theirs: read(&dir.join("theirs")),
                    dir,
                }
            })
            .collect()
    }

    fn git_status(conflicts: usize) -> usize {
        conflicts.min(GIT_MAX_STATUS)
    }

    #[test]
    fn every_fixture_directory_is_a_case() {
        let mut on_disk: Vec<String> = std::fs::read_dir(fixtures())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
        on_disk.sort();
        assert_eq!(on_disk, CASES);
    }

    #[test]
    fn merges_like_the_committed_git_output() {
        let mut failures = Vec::new();
        for case in cases() {
            let expected = read(&case.dir.join("expected"));
            let status: usize = String::from_utf8(read(&case.dir.join("conflicts")))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            compare(&case, &expected, status, &mut failures);
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Merges `case` and records how it differs from git's `expected` output and exit status.
    fn compare(case: &Case, expected: &[u8], status: usize, failures: &mut Vec<String>) {
        let merged = merge3(&case.base, &case.ours, &case.theirs, &LABELS).unwrap();
        if merged.bytes != expected {
            failures.push(format!(
                "{}: output differs from git's\n--- git\n{}\n--- merge3\n{}",
                case.name,
                expected.escape_ascii(),
                merged.bytes.escape_ascii()
            ));
        }
        if git_status(merged.conflicts) != status {
            failures.push(format!(
                "{}: {} conflicts, git says {status}",
                case.name, merged.conflicts
            ));
        }
    }

    /// Regenerates every expected output with the real `git merge-file`. Fails (never skips)
    /// without git: CI installs it (`.ci/run`).
    #[test]
    fn merges_like_git_merge_file_now() {
        let tmp = tempfile::tempdir().unwrap();
        let mut failures = Vec::new();
        for case in cases() {
            let (expected, status) = git_merge_file(tmp.path(), &case);
            compare(&case, &expected, status, &mut failures);
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// A small deterministic generator, so that a failure can be replayed by its seed.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn random_text(rng: &mut Lcg, from: Option<&[Vec<u8>]>) -> Vec<Vec<u8>> {
        const WORDS: &[&str] = &[
            "a",
            "b",
            "c",
            "d",
            "",
            "=======",
            "<<<<<<< yours",
            "x = 1",
            "    }",
            "\u{e9}",
        ];
        let word = |rng: &mut Lcg| {
            let mut line = WORDS[rng.below(WORDS.len() as u64) as usize]
                .as_bytes()
                .to_vec();
            line.extend_from_slice(if rng.below(4) == 0 { b"\r\n" } else { b"\n" });
            line
        };
        let mut lines: Vec<Vec<u8>> = match from {
            // Mostly short texts, every fourth one longer (conflicts far apart, refinement).
            None => {
                let len = if rng.below(4) == 0 { 60 } else { 9 };
                (0..rng.below(len)).map(|_| word(rng)).collect()
            }
            Some(base) => {
                let mut lines = Vec::new();
                for line in base {
                    match rng.below(6) {
                        0 => {}
                        1 => lines.push(word(rng)),
                        2 => {
                            lines.push(line.clone());
                            lines.push(word(rng));
                        }
                        _ => lines.push(line.clone()),
                    }
                }
                if rng.below(3) == 0 {
                    lines.push(word(rng));
                }
                lines
            }
        };
        if rng.below(5) == 0
            && let Some(last) = lines.last_mut()
        {
            while last.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                last.pop();
            }
        }
        lines
    }

    /// Random small triples (mixed line endings, missing last newlines, marker-like lines)
    /// compared with the real `git merge-file`. Needs git, like the test above.
    #[test]
    fn merges_like_git_merge_file_on_random_triples() {
        let runs: u64 = std::env::var("SCAFFOLD_MERGE_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        let tmp = tempfile::tempdir().unwrap();
        let mut failures = Vec::new();
        for seed in 0..runs {
            let mut rng = Lcg(seed);
            let base_lines = random_text(&mut rng, None);
            let ours = random_text(&mut rng, Some(&base_lines)).concat();
            let theirs = random_text(&mut rng, Some(&base_lines)).concat();
            let base = base_lines.concat();
            let case = Case {
                name: "random",
                dir: tmp.path().to_path_buf(),
                base,
                ours,
                theirs,
            };
            let (expected, status) = git_merge_file(tmp.path(), &case);
            let before = failures.len();
            compare(&case, &expected, status, &mut failures);
            if failures.len() > before {
                failures.push(format!(
                    "(seed {seed}: base {:?})",
                    case.base.escape_ascii().to_string()
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Runs `git merge-file` on `case` in `dir`, without any configuration that could change
    /// its output (`merge.conflictStyle=diff3` would); returns its output and exit status.
    fn git_merge_file(dir: &Path, case: &Case) -> (Vec<u8>, usize) {
        let (ours, base, theirs) = (dir.join("ours"), dir.join("base"), dir.join("theirs"));
        std::fs::write(&ours, &case.ours).unwrap();
        std::fs::write(&base, &case.base).unwrap();
        std::fs::write(&theirs, &case.theirs).unwrap();
        let mut git = std::process::Command::new("git");
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("GIT_") {
                git.env_remove(name);
            }
        }
        let out = git
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CEILING_DIRECTORIES", dir)
            .args([
                "merge-file",
                "-p",
                "-L",
                LABELS.ours,
                "-L",
                LABELS.base,
                "-L",
                LABELS.theirs,
            ])
            .args([&ours, &base, &theirs])
            .output()
            .expect("`git` must be installed for this test (CI installs it)");
        let status = out.status.code().expect("git merge-file ended by a signal");
        assert!(
            (0..=127).contains(&status),
            "{}: git merge-file failed: {out:?}",
            case.name
        );
        (out.stdout, usize::try_from(status).unwrap())
    }

    #[test]
    fn counts_conflicts_beyond_gits_limit() {
        let case = cases()
            .into_iter()
            .find(|c| c.name == "many-conflicts")
            .unwrap();
        let merged = merge3(&case.base, &case.ours, &case.theirs, &LABELS).unwrap();
        assert_eq!(merged.conflicts, 130);
    }

    #[test]
    fn marker_lines_in_the_content_are_not_counted() {
        // The content carries a whole fake conflict with our own labels, and a line that
        // looks like the opening marker of the counting run; only the real conflict counts.
        let base = b"<<<<<<< yours\na\n=======\nb\n>>>>>>> template 1.2.0\n<<<<<<< scaffold-conflict-0\nx\n";
        let ours = b"<<<<<<< yours\na\n=======\nb\n>>>>>>> template 1.2.0\n<<<<<<< scaffold-conflict-0\ny\n";
        let theirs = b"<<<<<<< yours\na\n=======\nb\n>>>>>>> template 1.2.0\n<<<<<<< scaffold-conflict-0\nz\n";
        let merged = merge3(base, ours, theirs, &LABELS).unwrap();
        assert_eq!(merged.conflicts, 1);
        let text = String::from_utf8(merged.bytes).unwrap();
        assert_eq!(text.matches("<<<<<<< yours\n").count(), 2, "{text}");
    }

    #[test]
    fn labels_appear_in_the_markers() {
        let labels = Labels {
            ours: "your project",
            base: "template 1.1.0",
            theirs: "template 1.2.0",
        };
        let merged = merge3(b"a\n", b"b\n", b"c\n", &labels).unwrap();
        assert_eq!(
            String::from_utf8(merged.bytes).unwrap(),
            "<<<<<<< your project\nb\n=======\nc\n>>>>>>> template 1.2.0\n"
        );
        assert_eq!(merged.conflicts, 1);
    }

    #[test]
    fn a_label_with_a_line_break_is_refused() {
        let labels = Labels {
            ours: "yours\n=======",
            ..LABELS
        };
        let err = merge3(b"a\n", b"b\n", b"c\n", &labels).unwrap_err();
        assert!(err.to_string().contains("line break"), "{err}");
    }

    #[test]
    fn inputs_over_the_limits_are_refused_quickly() {
        let big = vec![b'x'; MAX_MERGE_BYTES + 1];
        let err = merge3(b"", &big, b"", &LABELS).unwrap_err();
        let too_large = err.downcast_ref::<TooLarge>().expect("a TooLarge error");
        assert_eq!(too_large.side, "ours");
        assert_eq!(too_large.bytes, MAX_MERGE_BYTES + 1);

        let many_lines = "a\n".repeat(MAX_MERGE_LINES + 1);
        let err = merge3(b"", b"", many_lines.as_bytes(), &LABELS).unwrap_err();
        assert_eq!(
            err.downcast_ref::<TooLarge>().map(|t| t.side),
            Some("theirs")
        );
        assert!(err.to_string().contains("too large to merge"), "{err}");

        // Exactly at the line limit (last line without newline included) is accepted.
        let at_limit = format!("{}a", "a\n".repeat(MAX_MERGE_LINES - 1));
        let merged = merge3(
            at_limit.as_bytes(),
            at_limit.as_bytes(),
            at_limit.as_bytes(),
            &LABELS,
        )
        .unwrap();
        assert_eq!(merged.conflicts, 0);
        assert_eq!(merged.bytes, at_limit.as_bytes());
    }

    #[test]
    fn binary_detection() {
        assert!(!is_binary(b""));
        assert!(!is_binary("plain text, caf\u{e9}\r\n".as_bytes()));
        assert!(is_binary(b"GIF89a\0\0"));
        assert!(is_binary(b"\xff\xfe not utf-8"));
        // A NUL after git's 8000-byte window is not binary by git's test, but still text
        // that is valid UTF-8, so it is merged like git would.
        let mut late_nul = vec![b'a'; BINARY_PROBE_BYTES];
        late_nul.push(0);
        assert!(!is_binary(&late_nul));
        late_nul[BINARY_PROBE_BYTES - 1] = 0;
        assert!(is_binary(&late_nul));
    }
}
