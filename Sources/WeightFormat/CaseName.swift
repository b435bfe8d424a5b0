/// Returns the name of an enum case that carries a payload: `fileTooShort` for
/// `.fileTooShort(length: 3)`. (A case without a payload has no Mirror child, and its
/// reflection goes through `description`; callers name those cases themselves.)
///
/// Used to derive the stable error codes (`gicw.badMagic`) from the error enums, so the codes
/// cannot drift from the case names.
public func caseName(of value: Any) -> String {
  if let label = Mirror(reflecting: value).children.first?.label { return label }
  let full = String(reflecting: value)
  return full.split(separator: ".").last.map(String.init) ?? full
}
