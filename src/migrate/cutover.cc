#include "migrate/cutover.h"

#include <chrono>

namespace lakeshift::migrate {
namespace {

constexpr std::string_view kPhaseKey = "cutover.phase";
constexpr std::string_view kChangedKey = "cutover.changed_ms";
constexpr std::string_view kNoteKey = "cutover.note";

}  // namespace

std::string_view CutoverPhaseName(CutoverPhase phase) {
  switch (phase) {
    case CutoverPhase::kPassThrough: return "pass-through";
    case CutoverPhase::kFrozen: return "frozen";
    case CutoverPhase::kSwitched: return "switched";
  }
  return "pass-through";
}

Result<CutoverPhase> ParseCutoverPhase(std::string_view name) {
  for (CutoverPhase p : {CutoverPhase::kPassThrough, CutoverPhase::kFrozen, CutoverPhase::kSwitched}) {
    if (CutoverPhaseName(p) == name) return p;
  }
  return InvalidArgument("unknown cutover phase '" + std::string(name) +
                         "' in the journal (pass-through, frozen or switched); was it written by a newer lakeshift?");
}

Result<CutoverPhase> ReadCutoverPhase(Journal& journal) {
  ASSIGN_OR_RETURN(std::optional<std::string> phase, journal.GetValue(kPhaseKey));
  if (!phase) return CutoverPhase::kPassThrough;
  return ParseCutoverPhase(*phase);
}

Result<CutoverState> ReadCutover(Journal& journal) {
  CutoverState state;
  ASSIGN_OR_RETURN(state.phase, ReadCutoverPhase(journal));
  ASSIGN_OR_RETURN(std::optional<std::string> changed, journal.GetValue(kChangedKey));
  if (changed) state.changed_ms = std::stoll(*changed);
  ASSIGN_OR_RETURN(std::optional<std::string> note, journal.GetValue(kNoteKey));
  state.note = note.value_or("");
  return state;
}

Status WriteCutover(Journal& journal, CutoverPhase phase, std::string_view note) {
  int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  // The phase last: a reader that sees it sees its time and note too (each SetValue commits on its own).
  RETURN_IF_ERROR(journal.SetValue(kChangedKey, std::to_string(now)));
  RETURN_IF_ERROR(journal.SetValue(kNoteKey, note));
  return journal.SetValue(kPhaseKey, CutoverPhaseName(phase));
}

}  // namespace lakeshift::migrate
