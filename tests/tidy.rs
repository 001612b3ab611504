//! Tidy: comments and documents stay followable from a clone.
//!
//! Every `docs/X.md §N` a source file cites must name a file of the repository and a section heading in it, and
//! every `§N` inside `docs/` must name a heading of the same file. Citations of material outside the repository
//! (the source notes the derivations in `docs/theory.md` were written from) and comments that speak of the work
//! order rather than of the code are rejected by name.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Folders that hold no source of ours (build outputs, virtual environments, version control).
const SKIPPED_DIRS: &[&str] = &[
    "target",
    ".git",
    ".venv",
    ".venv-python",
    "out",
    "node_modules",
    "__pycache__",
];
/// Extensions of the files whose text is checked.
const CHECKED_EXTENSIONS: &[&str] = &["rs", "py", "md", "toml", "sh", "cff"];
/// Extension-less scripts that are checked too, relative to the repository root.
const CHECKED_SCRIPTS: &[&str] = &[".ci/run"];
/// This file, relative to the repository root.
const SELF: &str = "tests/tidy.rs";

/// Phrases no file may contain (compared in lower case). Each is assembled from two halves so that this file
/// does not match itself.
fn forbidden_phrases() -> Vec<(String, &'static str)> {
    [
        (
            ["notes ", "§"],
            "cite a section of docs/*.md instead of notes outside the repository",
        ),
        (
            ["theory-", "notes"],
            "the source notes are not in the repository; cite docs/theory.md",
        ),
        (
            ["theory ", "notes"],
            "the source notes are not in the repository; cite docs/theory.md",
        ),
        (
            ["the ", "issue"],
            "say what the code or the claim requires, not where the request came from",
        ),
        (
            ["issue", "'s"],
            "say what the code or the claim requires, not where the request came from",
        ),
        (
            ["the ", "brief"],
            "say what the code or the claim requires, not where the request came from",
        ),
        (
            ["brief", "'s"],
            "say what the code or the claim requires, not where the request came from",
        ),
    ]
    .into_iter()
    .map(|(halves, why)| (halves.concat(), why))
    .collect()
}

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                collect_files(&path, out);
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| CHECKED_EXTENSIONS.contains(&e))
        {
            out.push(path);
        }
    }
}

fn checked_files() -> Vec<PathBuf> {
    let root = repository_root();
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    files.extend(
        CHECKED_SCRIPTS
            .iter()
            .map(|s| root.join(s))
            .filter(|p| p.is_file()),
    );
    files.sort();
    files
}

/// The section numbers of a Markdown file: the first word of every heading that starts with a digit or with
/// `A` followed by a digit (`## 1.2 Marchenko–Pastur` gives `1.2`, `### A3.1 Non-centred …` gives `A3.1`).
fn section_numbers(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter(|line| line.starts_with('#'))
        .filter_map(|line| line.trim_start_matches('#').split_whitespace().next())
        .map(|word| word.trim_end_matches('.').to_owned())
        .filter(|word| is_section_number(word))
        .collect()
}

fn is_section_number(word: &str) -> bool {
    let digits = word.strip_prefix('A').unwrap_or(word);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The section number at the start of `text` (`A1.5–A1.6` gives `A1.5`), without a trailing full stop.
fn leading_section(text: &str) -> Option<&str> {
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == 'A')))
        .map_or(text.len(), |(i, _)| i);
    let word = text[..end].trim_end_matches('.');
    is_section_number(word).then_some(word)
}

/// The sections cited right after a position: `§1.2`, `§§4–5`, `§A1.5–A1.6` or `§A1.5–§A1.6` give one or two.
fn cited_sections(after: &str) -> Vec<&str> {
    let rest = after.trim_start_matches('§');
    let Some(first) = leading_section(rest) else {
        return Vec::new();
    };
    let mut sections = vec![first];
    let tail = &rest[first.len()..];
    if let Some(range_end) = tail.strip_prefix('–').or_else(|| tail.strip_prefix('-'))
        && let Some(second) = leading_section(range_end.trim_start_matches('§'))
    {
        sections.push(second);
    }
    sections
}

/// Every `docs/NAME.md` in `text`, with the sections cited right after it (possibly none).
fn docs_citations(text: &str) -> Vec<(String, Vec<String>)> {
    let mut citations = Vec::new();
    let mut search_from = 0;
    while let Some(offset) = text[search_from..].find("docs/") {
        let start = search_from + offset;
        search_from = start + "docs/".len();
        let name_len = text[search_from..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.')))
            .unwrap_or(text.len() - search_from);
        let path = text[start..search_from + name_len].trim_end_matches('.');
        if !path.ends_with(".md") {
            continue;
        }
        let after = text[start + path.len()..]
            .trim_start_matches('`')
            .trim_start();
        let sections = if after.starts_with('§') {
            cited_sections(after)
                .into_iter()
                .map(str::to_owned)
                .collect()
        } else {
            Vec::new()
        };
        citations.push((path.to_owned(), sections));
    }
    citations
}

/// Problems with the citations and phrases of one file, one line each.
fn problems_in(relative: &str, text: &str, root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let lower = text.to_lowercase();
    for (phrase, why) in forbidden_phrases() {
        for (line_idx, line) in lower.lines().enumerate() {
            if line.contains(&phrase) {
                problems.push(format!(
                    "{relative}:{}: contains \"{phrase}\": {why}",
                    line_idx + 1
                ));
            }
        }
    }
    for (line_idx, line) in text.lines().enumerate() {
        for (doc, sections) in docs_citations(line) {
            let doc_path = root.join(&doc);
            let Ok(markdown) = fs::read_to_string(&doc_path) else {
                problems.push(format!(
                    "{relative}:{}: cites {doc}, which does not exist",
                    line_idx + 1
                ));
                continue;
            };
            let known = section_numbers(&markdown);
            for section in sections.iter().filter(|s| !known.contains(*s)) {
                problems.push(format!(
                    "{relative}:{}: cites {doc} §{section}, which has no such heading",
                    line_idx + 1
                ));
            }
        }
    }
    problems
}

/// Problems with the `§N` references of a document to its own sections.
fn self_reference_problems(relative: &str, markdown: &str) -> Vec<String> {
    let known = section_numbers(markdown);
    let mut problems = Vec::new();
    for (line_idx, line) in markdown.lines().enumerate() {
        for (byte_idx, _) in line.match_indices('§') {
            let before = &line[..byte_idx];
            // `docs/X.md §N` citations of other files are checked by `problems_in`; `§§` is the second half of
            // a `§§` pair handled at its first sign.
            if before.trim_end().trim_end_matches('`').ends_with(".md") || before.ends_with('§') {
                continue;
            }
            for section in cited_sections(&line[byte_idx..]) {
                if !known.contains(section) {
                    problems.push(format!(
                        "{relative}:{}: §{section} is not a heading of this file",
                        line_idx + 1
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_citation_names_an_existing_document_section_and_no_comment_cites_outside_material() {
    let root = repository_root();
    let mut problems = Vec::new();
    for path in checked_files() {
        let relative = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        // This file's own fixtures are deliberately bad citations.
        if relative == SELF {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        problems.extend(problems_in(&relative, &text, &root));
        if relative.starts_with("docs/") && relative.ends_with(".md") {
            problems.extend(self_reference_problems(&relative, &text));
        }
    }
    assert!(
        problems.is_empty(),
        "{} tidy problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_derivations_document_exists_and_has_the_sections_code_cites_most() {
    let markdown = fs::read_to_string(repository_root().join("docs/theory.md"))
        .expect("docs/theory.md exists");
    let known = section_numbers(&markdown);
    for section in ["0", "1.2", "1.6", "A1.5", "A2.4", "A3.1"] {
        assert!(
            known.contains(section),
            "docs/theory.md lacks §{section}; headings: {known:?}"
        );
    }
}

/// The checker itself: a test that cannot fail is a defect, so each rule is shown to fire on a bad line.
#[test]
fn tidy_rejects_missing_files_missing_sections_and_forbidden_phrases() {
    let root = repository_root();
    let missing_file = problems_in("x.rs", "// See `docs/no_such_file.md` §1.", &root);
    assert_eq!(missing_file.len(), 1, "{missing_file:?}");
    let missing_section = problems_in(
        "x.rs",
        "// See `docs/theory.md` §9.9 and docs/theory.md §A1.5–A1.99.",
        &root,
    );
    assert_eq!(missing_section.len(), 2, "{missing_section:?}");
    let good = problems_in(
        "x.rs",
        "// See `docs/theory.md` §1.2, docs/theory.md §A1.5–A1.6 and §§4–5 of a paper.",
        &root,
    );
    assert!(good.is_empty(), "{good:?}");
    let phrase = ["// As the ", "brief says."].concat();
    assert_eq!(problems_in("x.rs", &phrase, &root).len(), 1);
    let outside = ["// See ", "notes §1.2."].concat();
    assert_eq!(problems_in("x.rs", &outside, &root).len(), 1);
    let doc = "## 1 One\n### 1.1 Sub\nSee §1.1 and §1.2.\n";
    assert_eq!(self_reference_problems("docs/x.md", doc).len(), 1);
}

#[test]
fn section_parsing_reads_headings_and_ranges() {
    let headings = section_numbers(
        "# Title\n## 0 Conventions\n### 1.2 MP\n### A3.1 Pitfall\n## Open points\n",
    );
    assert_eq!(
        headings.into_iter().collect::<Vec<_>>(),
        ["0", "1.2", "A3.1"]
    );
    assert_eq!(cited_sections("§A1.5–A1.6, more"), ["A1.5", "A1.6"]);
    assert_eq!(cited_sections("§§4–5)"), ["4", "5"]);
    assert_eq!(cited_sections("§1.9. Next"), ["1.9"]);
}
