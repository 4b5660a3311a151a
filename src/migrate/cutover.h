#pragma once
// The cutover of a complete migration, recorded in the journal: the phase the compatibility gateway routes by.
//   pass-through  every Gen1 request goes to Gen1 unchanged (before a complete migration, and after an abort)
//   frozen        reads still go to Gen1, writes are refused with a retryable answer (the final sync runs)
//   switched      every request is translated to Gen2 (the migration is complete; Gen1 is no longer used)
// The migrator writes the phase, gateways read it (the journal is their only link, so any number of gateways
// on any machines follow one migration).

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "migrate/journal.h"

namespace lakeshift::migrate {

enum class CutoverPhase : uint8_t { kPassThrough, kFrozen, kSwitched };

std::string_view CutoverPhaseName(CutoverPhase phase);  // "pass-through", "frozen", "switched"
Result<CutoverPhase> ParseCutoverPhase(std::string_view name);

struct CutoverState {
  CutoverPhase phase = CutoverPhase::kPassThrough;
  int64_t changed_ms = 0;  // when the phase was last set (0: never)
  std::string note;        // why, for `lakeshift cutover --status` ("final sync", "aborted by the operator", ...)
};

// The recorded state; a journal without one is in pass-through.
Result<CutoverState> ReadCutover(Journal& journal);
// Only the phase (one lookup: gateways read it for every request).
Result<CutoverPhase> ReadCutoverPhase(Journal& journal);
Status WriteCutover(Journal& journal, CutoverPhase phase, std::string_view note);

}  // namespace lakeshift::migrate
