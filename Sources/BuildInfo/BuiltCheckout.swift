/// The git checkout the tool was built from, fixed when it was compiled.
///
/// `commit` (40 hex digits) and `dirty` (the tree differed from that commit:
/// modified, staged or untracked files) are written into a generated source
/// by `tools/source-checkout.sh`, which the SourceCheckout build plugin runs
/// before every build.  Both are nil when the package was not built in a
/// git checkout or git was missing.  Nothing is read at run time, so a later
/// commit without a rebuild does not change what the tool reports.
public enum BuiltCheckout {}
