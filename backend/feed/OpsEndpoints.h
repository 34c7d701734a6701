#pragma once

#include "feed/FeedHttpConnection.h"

#include <QString>
#include <functional>
#include <optional>

// The operator's routes, served on the feed's port and on -metrics (docs/feed.md):
// /healthz (the event loop runs), /readyz (ready, or 503 with the reason) and /metrics
// (Prometheus text 0.0.4; needs the token when one is configured, health probes do not).
struct OpsEndpoints {
    std::function<QByteArray()> metrics;     // the exposition
    std::function<QString()> notReadyReason; // empty when ready

    // The answer for `path`, or nothing when `path` is not one of these routes.
    // `authorized`: the request presented the token, or none is configured.
    std::optional<FeedHttpResponse> answer(const QString &path, bool authorized) const;
    bool isSet() const { return bool(metrics); }
};
