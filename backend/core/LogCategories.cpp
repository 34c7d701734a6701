#include "core/LogCategories.h"

Q_LOGGING_CATEGORY(lcCluster, "portolan.cluster", QtInfoMsg)
Q_LOGGING_CATEGORY(lcFeed, "portolan.feed", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSystemd, "portolan.systemd", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBalancer, "portolan.balancer", QtInfoMsg)
