#pragma once

#include <QLoggingCategory>

// Logging categories: the log shows "<part>: message" for a category "portolan.<part>", as
// registrator-style plain lines, and an operator can quieten one part with QT_LOGGING_RULES,
// e.g. "portolan.feed.info=false".
Q_DECLARE_LOGGING_CATEGORY(lcCluster) // "cluster: " the cluster picture read back from etcd
Q_DECLARE_LOGGING_CATEGORY(lcFeed)    // "feed: " the browser view and WebSocket feed
Q_DECLARE_LOGGING_CATEGORY(lcSystemd) // "systemd: " sd_notify datagrams (Type=notify)
Q_DECLARE_LOGGING_CATEGORY(lcBalancer) // "balancer: " portolan-lb driving HAProxy or nginx
