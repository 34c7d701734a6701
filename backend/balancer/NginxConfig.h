#pragma once

#include "balancer/BalancerPlan.h"

#include <QByteArray>
#include <QString>

// The include files portolan-lb writes for nginx: one `upstream` block per routed service, in
// the http file for HTTP services and in the stream file for TCP services. The operator's own
// server blocks `proxy_pass` to them. Same plan, same bytes, so a file compares with ==.
namespace NginxConfig {

struct Settings {
    int maxFails = 1;            // failed attempts before nginx rests a server ...
    int failTimeoutSeconds = 10; // ... for this long (passive failover)
};

// The first line of every file portolan-lb writes; a file without it is not ours to replace.
QByteArray header();

// The file for the backends of `mode` in `plan`. Empty with an error sentence when a backend's
// name could not be used as an nginx upstream name (the plan makes names safe, so that is a bug).
QByteArray render(const BalancerPlan &plan, PlannedBackend::Mode mode, const Settings &settings,
                  QString *error);

// nginx's first error from `nginx -t` output ("[emerg] ... in FILE:LINE"), without the
// "nginx: [emerg] " prefix; the first non-empty line when no line carries a level.
QString firstError(const QByteArray &output);

} // namespace NginxConfig
