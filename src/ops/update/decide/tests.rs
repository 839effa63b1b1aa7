//! The decision table, row by row, on trees in memory.

use super::*;

fn out(path: &str, text: &str) -> OutFile {
    OutFile {
        path: path.into(),
        contents: text.as_bytes().to_vec(),
        executable: false,
        source: format!("{path}.tera"),
    }
}

fn rec(path: &str, text: &str) -> record::File {
    record::File {
        path: path.into(),
        from: format!("{path}.tera"),
        blob: blob(text.as_bytes()).unwrap(),
        exec: false,
        state: State::Generated,
    }
}

fn file(text: &str) -> OnDisk {
    OnDisk::File {
        bytes: text.as_bytes().to_vec(),
        executable: false,
    }
}

const LABELS: Labels<'static> = Labels {
    ours: "yours",
    base: "base",
    theirs: "template 2",
};

/// One file: (recorded and base text, theirs text, yours) -> the step.
fn one(base: Option<&str>, theirs: Option<&str>, yours: OnDisk) -> Step {
    let recorded: Vec<record::File> = base.map(|b| rec("f", b)).into_iter().collect();
    let base_map: BTreeMap<String, Vec<u8>> = base
        .map(|b| ("f".to_string(), b.as_bytes().to_vec()))
        .into_iter()
        .collect();
    let theirs: Vec<OutFile> = theirs.map(|t| out("f", t)).into_iter().collect();
    let yours: BTreeMap<String, OnDisk> = [("f".to_string(), yours)].into_iter().collect();
    let steps = plan(&Sides {
        recorded: &recorded,
        base: &base_map,
        theirs: &theirs,
        yours: &yours,
        renames: &[],
        restore: &BTreeSet::new(),
        labels: LABELS,
    })
    .unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    steps.into_iter().next().unwrap()
}

fn written(step: &Step) -> Option<String> {
    step.write
        .as_ref()
        .map(|(b, _)| String::from_utf8_lossy(b).into_owned())
}

/// (base (recorded), theirs, yours, verdict, what is written)
type Case<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    OnDisk,
    Verdict,
    Option<&'a str>,
);

#[test]
fn the_decision_table() {
    let base = "a\nb\nc\nd\ne\n";
    let cases: Vec<Case> = vec![
        (Some(base), Some(base), file(base), Verdict::Unchanged, None),
        (
            Some(base),
            Some("a\nB\nc\nd\ne\n"),
            file(base),
            Verdict::Update,
            Some("a\nB\nc\nd\ne\n"),
        ),
        (
            Some(base),
            Some(base),
            file("a\nb\nc\nd\nE\n"),
            Verdict::KeepYours,
            None,
        ),
        (
            Some(base),
            Some("A\nb\nc\nd\ne\n"),
            file("A\nb\nc\nd\ne\n"),
            Verdict::Same,
            None,
        ),
        (
            Some(base),
            Some("A\nb\nc\nd\ne\n"),
            file("a\nb\nc\nd\nE\n"),
            Verdict::Merge,
            Some("A\nb\nc\nd\nE\n"),
        ),
        (
            Some(base),
            Some("a\nTHEIRS\nc\nd\ne\n"),
            file("a\nYOURS\nc\nd\ne\n"),
            Verdict::Conflict(Conflict::Lines(1)),
            Some("a\n<<<<<<< yours\nYOURS\n=======\nTHEIRS\n>>>>>>> template 2\nc\nd\ne\n"),
        ),
        (
            None,
            Some("new\n"),
            OnDisk::Missing,
            Verdict::Add,
            Some("new\n"),
        ),
        (None, Some("new\n"), file("new\n"), Verdict::Adopt, None),
        (
            None,
            Some("x\nnew\n"),
            file("y\nnew\n"),
            Verdict::Conflict(Conflict::AddAdd(1)),
            Some("<<<<<<< yours\ny\n=======\nx\n>>>>>>> template 2\nnew\n"),
        ),
        (Some(base), None, file(base), Verdict::Remove, None),
        (
            Some(base),
            None,
            file("edited\n"),
            Verdict::KeepUntracked,
            None,
        ),
        (Some(base), None, OnDisk::Missing, Verdict::Forget, None),
        (
            Some(base),
            Some(base),
            OnDisk::Missing,
            Verdict::KeepDeleted { changed: false },
            None,
        ),
        (
            Some(base),
            Some("new\n"),
            OnDisk::Missing,
            Verdict::KeepDeleted { changed: true },
            None,
        ),
        (
            Some(base),
            Some("new\n"),
            OnDisk::Other("a symlink".into()),
            Verdict::Skipped,
            None,
        ),
    ];
    for (b, t, y, verdict, write) in cases {
        let step = one(b, t, y.clone());
        assert_eq!(step.verdict, verdict, "{b:?} {t:?} {y:?}");
        assert_eq!(written(&step).as_deref(), write, "{b:?} {t:?} {y:?}");
    }
}

#[test]
fn a_removed_file_is_removed_and_an_edited_one_untracked() {
    let step = one(Some("x\n"), None, file("x\n"));
    assert_eq!(step.remove.as_deref(), Some("f"));
    assert_eq!(step.record, None);
    let step = one(Some("x\n"), None, file("mine\n"));
    assert_eq!((step.remove, step.record), (None, None));
}

#[test]
fn no_base_means_a_conflict_never_an_overwrite() {
    let recorded = vec![rec("f", "a\nb\nc\n")];
    let theirs = vec![out("f", "a\nTHEIRS\nc\n")];
    let yours: BTreeMap<String, OnDisk> = [("f".to_string(), file("a\nYOURS\nc\n"))]
        .into_iter()
        .collect();
    let steps = plan(&Sides {
        recorded: &recorded,
        base: &BTreeMap::new(),
        theirs: &theirs,
        yours: &yours,
        renames: &[],
        restore: &BTreeSet::new(),
        labels: LABELS,
    })
    .unwrap();
    assert!(matches!(
        steps[0].verdict,
        Verdict::Conflict(Conflict::NoBase(_))
    ));
    let text = written(&steps[0]).unwrap();
    assert!(text.contains("YOURS") && text.contains("THEIRS"), "{text}");
    // Without a base, only a file that changed on one side is decided without markers.
    let theirs_same = vec![out("f", "a\nb\nc\n")];
    let steps = plan(&Sides {
        recorded: &recorded,
        base: &BTreeMap::new(),
        theirs: &theirs_same,
        yours: &yours,
        renames: &[],
        restore: &BTreeSet::new(),
        labels: LABELS,
    })
    .unwrap();
    assert_eq!(steps[0].verdict, Verdict::KeepYours);
}

#[test]
fn binary_files_are_never_text_merged() {
    let step = one(Some("v1\0"), Some("v2\0"), file("mine\0"));
    assert_eq!(step.verdict, Verdict::Conflict(Conflict::Binary));
    assert_eq!(step.write, None, "yours stays as it is");
    assert_eq!(step.side_file.as_deref(), Some(&b"v2\0"[..]));
    // Changed by you only: yours kept.
    assert_eq!(
        one(Some("v1\0"), Some("v1\0"), file("mine\0")).verdict,
        Verdict::KeepYours
    );
    // A text file that became binary in the template, edited by you: a conflict too.
    let step = one(Some("text\n"), Some("bin\0"), file("edited text\n"));
    assert_eq!(step.verdict, Verdict::Conflict(Conflict::Binary));
}

#[test]
fn crlf_checkouts_are_not_edits_and_keep_their_line_endings() {
    let step = one(Some("a\nb\n"), Some("a\nB\n"), file("a\r\nb\r\n"));
    assert_eq!(step.verdict, Verdict::Update);
    assert_eq!(written(&step).as_deref(), Some("a\r\nB\r\n"));
}

#[test]
fn a_rename_moves_your_edits() {
    let recorded = vec![rec("old/app.py", "a\nb\nc\nd\ne\n")];
    let base: BTreeMap<String, Vec<u8>> = [("old/app.py".to_string(), b"a\nb\nc\nd\ne\n".to_vec())]
        .into_iter()
        .collect();
    let theirs = vec![out("new/app.py", "A\nb\nc\nd\ne\n")];
    let yours: BTreeMap<String, OnDisk> = [
        ("old/app.py".to_string(), file("a\nb\nc\nd\nmine\n")),
        ("new/app.py".to_string(), OnDisk::Missing),
    ]
    .into_iter()
    .collect();
    let steps = plan(&Sides {
        recorded: &recorded,
        base: &base,
        theirs: &theirs,
        yours: &yours,
        renames: &[("old/app.py".into(), "new/app.py".into())],
        restore: &BTreeSet::new(),
        labels: LABELS,
    })
    .unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    let s = &steps[0];
    assert_eq!(s.path, "new/app.py");
    assert_eq!(s.renamed_from.as_deref(), Some("old/app.py"));
    assert_eq!(s.verdict, Verdict::Merge);
    assert_eq!(written(s).as_deref(), Some("A\nb\nc\nd\nmine\n"));
    assert_eq!(s.remove.as_deref(), Some("old/app.py"));
    assert_eq!(s.record.as_ref().unwrap().path, "new/app.py");
}

#[test]
fn restore_brings_a_deleted_file_back() {
    let recorded = vec![rec("f", "old\n")];
    let theirs = vec![out("f", "new\n")];
    let yours: BTreeMap<String, OnDisk> =
        [("f".to_string(), OnDisk::Missing)].into_iter().collect();
    let restore: BTreeSet<String> = ["f".to_string()].into_iter().collect();
    let steps = plan(&Sides {
        recorded: &recorded,
        base: &BTreeMap::new(),
        theirs: &theirs,
        yours: &yours,
        renames: &[],
        restore: &restore,
        labels: LABELS,
    })
    .unwrap();
    assert_eq!(steps[0].verdict, Verdict::Restore);
    assert_eq!(written(&steps[0]).as_deref(), Some("new\n"));
}

#[test]
fn markers_are_counted_only_as_written() {
    use crate::util::merge::open_markers;
    for (text, count) in [
        (
            &b"a\n<<<<<<< yours\nx\n=======\ny\n>>>>>>> template 2\n"[..],
            1,
        ),
        (
            b"<<<<<<< yours\r\nx\r\n>>>>>>> template 1.2\r\n<<<<<<< yours\n",
            2,
        ),
        (b"a\n<<<<<<< mine\nx\n>>>>>>> template 2\n", 0),
        (b"print('<<<<<<< yours')\n", 0),
        (b"<<<<<<< yours", 1),
    ] {
        assert_eq!(
            open_markers(text, "yours"),
            count,
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
}

/// 19.12: lines of the template's (or yours) that look like markers are counted apart from
/// the merge's conflicts, so that resolving the conflicts resolves the file.
#[test]
fn lookalike_markers_are_counted_apart_from_conflicts() {
    let look = "<<<<<<< yours\nx\n=======\ny\n>>>>>>> template 9\n";
    let body = |last: &str| format!("{look}1\n2\n3\n4\n5\n{last}\n");
    let step = one(
        Some(&body("last")),
        Some(&body("theirs")),
        file(&body("mine")),
    );
    assert_eq!(step.verdict, Verdict::Conflict(Conflict::Lines(1)));
    assert_eq!(step.lookalikes, 1);
    let step = one(Some("a\n"), Some("b\n"), file("c\n"));
    assert_eq!(step.lookalikes, 0);
}

/// What the plan's `record` line says about the answers file, from the records before and
/// after: nothing when nothing changes (not even the scaffold version that writes it).
#[test]
fn why_the_answers_file_changes() {
    let a = blob(b"a\n").unwrap();
    let b = blob(b"b\n").unwrap();
    let text = |scaffold: &str, word: &str, files: &str, pending: &str| {
        format!(
            "format = 1\nscaffold = \"{scaffold}\"\n[template]\nsource = \"embedded\"\nname = \"t\"\n\
             id = \"{a}\"\n[project]\nname = \"p\"\nyear = 2026\nscaffold_version = \"0.1.0\"\n\
             [answers]\nword = {{ type = \"string\", value = \"{word}\" }}\n[files]\n{files}{pending}"
        )
    };
    let file = |path: &str, blob: &str, deleted: bool| {
        format!(
            "\"{path}\" = {{ blob = \"{blob}\", from = \"{path}.tera\"{} }}\n",
            if deleted { ", state = \"deleted\"" } else { "" }
        )
    };
    let two = file("x.txt", &a, false) + &file("y.txt", &a, false);
    let old = Record::parse(&text(
        "0.1.0",
        "one",
        &two,
        "[pending]\nconflicts = [\"x.txt\"]\n",
    ))
    .unwrap();
    // (the record after, what the line says)
    let cases: Vec<(String, &[&str])> = vec![
        (
            text("0.1.0", "one", &two, "[pending]\nconflicts = [\"x.txt\"]\n"),
            &[],
        ),
        (
            text("9.9.9", "one", &two, "[pending]\nconflicts = [\"x.txt\"]\n"),
            &[],
        ),
        (
            text("0.1.0", "one", &two, ""),
            &["1 resolved conflict no longer listed"],
        ),
        (
            text("0.1.0", "two", &file("x.txt", &a, false), ""),
            &[
                "new answers",
                "1 file no longer tracked",
                "1 resolved conflict no longer listed",
            ],
        ),
        (
            text(
                "0.1.0",
                "one",
                &(file("x.txt", &b, false) + &file("y.txt", &b, true)),
                "[pending]\nconflicts = [\"x.txt\"]\n",
            ),
            &[
                "1 file recorded as deleted by you",
                "1 file recorded at the template's new version",
            ],
        ),
    ];
    for (after, want) in cases {
        let mut new = Record::parse(&after).unwrap();
        let notes = record_notes(&old, &mut new, &[]);
        assert_eq!(notes, want, "{after}");
        if want.is_empty() {
            assert_eq!(new, old, "nothing changes, the scaffold version included");
        }
    }
}
