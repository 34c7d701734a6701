#include "DashboardTypes.h"

#include "dashboard/ClusterConnection.h"
#include "dashboard/EventLogModel.h"
#include "dashboard/HostListModel.h"
#include "dashboard/KeyTreeModel.h"
#include "dashboard/QmlSingletons.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"

#include <QQmlEngine>

void registerDashboardTypes()
{
    static bool done = false;
    if (done)
        return;
    done = true;
    const char *uri = "Portolan.Models";
    qmlRegisterUncreatableType<ClusterState>(uri, 1, 0, "ClusterState",
                                             QStringLiteral("owned by ClusterConnection"));
    qmlRegisterUncreatableType<KeyTreeSource>(uri, 1, 0, "KeyTreeSource",
                                              QStringLiteral("owned by ClusterConnection"));
    qmlRegisterUncreatableType<ClusterListModel>(uri, 1, 0, "ClusterListModel",
                                                 QStringLiteral("abstract"));
    qmlRegisterType<ClusterConnection>(uri, 1, 0, "ClusterConnection");
    qmlRegisterType<HostListModel>(uri, 1, 0, "HostListModel");
    qmlRegisterType<ServiceTableModel>(uri, 1, 0, "ServiceTableModel");
    qmlRegisterType<ServiceFilterModel>(uri, 1, 0, "ServiceFilterModel");
    qmlRegisterType<ServiceGroupModel>(uri, 1, 0, "ServiceGroupModel");
    qmlRegisterType<EventLogModel>(uri, 1, 0, "EventLogModel");
    qmlRegisterType<KeyTreeModel>(uri, 1, 0, "KeyTreeModel");
    // Every program that loads the views needs these too (the bench once missed WallClock).
    registerDashboardSingletons();
}
