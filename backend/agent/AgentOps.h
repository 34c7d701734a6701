#pragma once

#include "feed/OpsEndpoints.h"

#include <QString>

struct AgentOptions;
class QObject;

// The agent's /metrics, /healthz and /readyz, read from AgentMetrics (docs/feed.md).
namespace AgentOps {

OpsEndpoints endpoints();

// -metrics=ADDR:PORT: starts a MetricsServer owned by `parent`. -feed-token-file, when given,
// guards /metrics here too. Returns an error sentence, or an empty string.
QString serveMetrics(const AgentOptions &options, QObject *parent);

} // namespace AgentOps
