//! No import loops between the modules of any crate of the workspace.
//!
//! Reads every crate's sources, follows `mod x;` from each crate root to know the
//! modules, and takes an edge A → B for each path `crate::…`, `super::…` or `self::…`
//! written in A (in `use` or inline) that names something in module B. Edges between a
//! module and its ancestors or descendants are the module tree itself (a parent
//! re-exporting its children, children using their parent) and do not count; any
//! other cycle does.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module: its path from the crate root (`["rest", "auth"]`) and its file.
struct Module {
    path: Vec<String>,
    source: String,
}

/// Drop comments, string and char literals (doc links and messages name paths too).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if b.get(i + 1).is_some_and(|c| *c == b'"' || *c == b'#')
                && !b[..i]
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                // Raw string: r"…", r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let end = format!("\"{}", "#".repeat(hashes));
                match src[j..].find(&end) {
                    Some(k) => i = j + k + end.len(),
                    None => i = b.len(),
                }
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '\''), or a lifetime ('a): keep lifetimes.
                let lit = if b.get(i + 1) == Some(&b'\\') {
                    src[i + 2..].find('\'').map(|k| i + 2 + k + 1)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 3)
                } else {
                    src[i + 1..]
                        .chars()
                        .next()
                        .filter(|c| !c.is_ascii())
                        .map(|c| i + 1 + c.len_utf8() + 1)
                };
                match lit {
                    Some(end) => {
                        out.push_str("' '");
                        i = end;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let c = src[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The `mod x;` declarations of a file (not inline `mod x { … }`).
fn declared_mods(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("mod ") {
        if code[..i].chars().last().is_some_and(is_ident) {
            continue;
        }
        let rest = &code[i + 4..];
        let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        if !name.is_empty() && rest[name.len()..].trim_start().starts_with(';') {
            out.push(name);
        }
    }
    out
}

/// Every module of the crate rooted at `root`.
fn modules(root: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let mut todo = vec![(Vec::new(), root.to_path_buf())];
    while let Some((path, file)) = todo.pop() {
        let source = code_only(&std::fs::read_to_string(&file).unwrap());
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let dir = if path.is_empty() || stem == "mod" {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        for name in declared_mods(&source) {
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            let child = if flat.exists() { flat } else { nested };
            assert!(child.exists(), "{}: mod {name} not found", file.display());
            let mut p = path.clone();
            p.push(name);
            todo.push((p, child));
        }
        out.push(Module { path, source });
    }
    out
}

/// The paths written in `code` that start at `crate`, `super` or `self`, as segments
/// relative to the crate root; use-groups (`crate::{a::X, b::{Y, Z}}`) are expanded.
fn paths(code: &str, here: &[String]) -> Vec<Vec<String>> {
    fn tree(s: &[char], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut segs = prefix;
        loop {
            while *i < s.len() && s[*i].is_whitespace() {
                *i += 1;
            }
            if *i < s.len() && s[*i] == '{' {
                *i += 1;
                loop {
                    tree(s, i, segs.clone(), out);
                    while *i < s.len() && s[*i].is_whitespace() {
                        *i += 1;
                    }
                    match s.get(*i) {
                        Some(',') => *i += 1,
                        Some('}') => {
                            *i += 1;
                            return;
                        }
                        _ => return,
                    }
                    while *i < s.len() && s[*i].is_whitespace() {
                        *i += 1;
                    }
                    if s.get(*i) == Some(&'}') {
                        *i += 1;
                        return;
                    }
                }
            }
            let start = *i;
            while *i < s.len() && is_ident(s[*i]) {
                *i += 1;
            }
            if *i == start {
                break;
            }
            segs.push(s[start..*i].iter().collect());
            if s.get(*i) == Some(&':') && s.get(*i + 1) == Some(&':') {
                *i += 2;
            } else {
                break;
            }
        }
        out.push(segs);
    }
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at_word = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == '$');
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        let start: Option<(usize, Vec<String>)> = if !at_word {
            None
        } else if rest.starts_with("crate::") {
            Some((7, Vec::new()))
        } else if rest.starts_with("self::") {
            Some((6, here.to_vec()))
        } else if rest.starts_with("super::") {
            let mut base = here.to_vec();
            let mut j = i;
            while chars[j..].iter().take(7).collect::<String>() == "super::" {
                base.pop();
                j += 7;
            }
            Some((j - i, base))
        } else {
            None
        };
        match start {
            Some((skip, base)) => {
                i += skip;
                tree(&chars, &mut i, base, &mut out);
            }
            None => i += 1,
        }
    }
    out
}

/// The module a path names something in: its longest prefix that is a module.
fn target(path: &[String], known: &BTreeSet<Vec<String>>) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| known.contains(p))
        .unwrap_or_default()
}

fn nested(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The import loops of one crate, each as its modules.
fn loops(root: &Path) -> Vec<Vec<String>> {
    let mods = modules(root);
    let known: BTreeSet<Vec<String>> = mods.iter().map(|m| m.path.clone()).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for m in &mods {
        for p in paths(&m.source, &m.path) {
            let t = target(&p, &known);
            if !nested(&m.path, &t) {
                edges.entry(m.path.clone()).or_default().insert(t);
            }
        }
    }
    // A cycle exists through `a` when `a` reaches itself; each is reported once,
    // from its smallest module.
    let mut found = Vec::new();
    for a in &known {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(Vec<String>, Vec<Vec<String>>)> = vec![(a.clone(), vec![a.clone()])];
        while let Some((n, trail)) = stack.pop() {
            for next in edges.get(&n).into_iter().flatten() {
                if next == a && trail.iter().all(|m| m >= a) {
                    let mut cycle: Vec<String> = trail.iter().map(|p| p.join("::")).collect();
                    cycle.push(a.join("::"));
                    found.push(cycle);
                } else if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    found
}

/// Every crate root of the workspace: `src/lib.rs`, `src/main.rs`, `src/bin/*.rs`.
fn crate_roots() -> Vec<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut dirs = vec![];
    for entry in std::fs::read_dir(workspace).unwrap() {
        let dir = entry.unwrap().path();
        if dir.file_name().unwrap() == "examples" {
            for e in std::fs::read_dir(&dir).unwrap() {
                dirs.push(e.unwrap().path());
            }
        } else {
            dirs.push(dir);
        }
    }
    let mut roots = vec![];
    for dir in dirs.into_iter().filter(|d| d.join("Cargo.toml").exists()) {
        let src = dir.join("src");
        for f in ["lib.rs", "main.rs"] {
            if src.join(f).exists() {
                roots.push(src.join(f));
            }
        }
        if let Ok(bins) = std::fs::read_dir(src.join("bin")) {
            roots.extend(bins.map(|b| b.unwrap().path()).filter(|p| p.is_file()));
        }
    }
    roots.sort();
    roots
}

/// Loops being removed on another branch, if any. Delete an entry once it is gone; the
/// test says so.
const BEING_REMOVED: &[&str] = &[];

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let roots = crate_roots();
    assert!(roots.len() >= 8, "crates found: {roots:?}");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut all = Vec::new();
    for root in &roots {
        for cycle in loops(root) {
            let root = root.strip_prefix(workspace).unwrap().display();
            all.push(format!("{root}: {}", cycle.join(" -> ")));
        }
    }
    let gone: Vec<&&str> = BEING_REMOVED
        .iter()
        .filter(|known| !all.iter().any(|l| l == *known))
        .collect();
    assert!(gone.is_empty(), "gone, delete from BEING_REMOVED: {gone:?}");
    all.retain(|l| !BEING_REMOVED.contains(&l.as_str()));
    assert!(all.is_empty(), "import loops:\n{}", all.join("\n"));
}

#[test]
fn the_checker_sees_a_loop_and_expands_use_groups() {
    let here = vec!["a".to_owned()];
    let code = code_only(
        "use crate::{b::X, c::{D, e::F}};\n// crate::zzz::Q\nlet s = \"crate::yyy\"; super::g::h();",
    );
    let got: Vec<String> = paths(&code, &here).iter().map(|p| p.join("::")).collect();
    assert_eq!(got, ["b::X", "c::D", "c::e::F", "g::h"]);
    // A crate of two files that import each other.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(dir.path().join("a.rs"), "use crate::b::B;\npub struct A;\n").unwrap();
    std::fs::write(dir.path().join("b.rs"), "pub struct B(crate::a::A);\n").unwrap();
    let found = loops(&dir.path().join("lib.rs"));
    assert_eq!(found, [vec!["a", "b", "a"]]);
    // A parent re-exporting its child, which uses the parent: the module tree.
    std::fs::write(dir.path().join("lib.rs"), "mod a;\npub use a::A;\n").unwrap();
    std::fs::write(dir.path().join("a.rs"), "pub struct A(crate::Other);\n").unwrap();
    assert!(loops(&dir.path().join("lib.rs")).is_empty());
}
