#pragma once

// The backend's dashboard models as the QML module Portolan.Models 1.0 (qt_add_qml_module in
// CMakeLists.txt; a program imports it with Q_IMPORT_QML_PLUGIN(Portolan_ModelsPlugin)). The
// backend stays free of QtQml, so its types are declared here as foreign types instead of with
// QML_ELEMENT in their own headers.
#include "cluster/ClusterState.h"
#include "dashboard/BalancerListModel.h"
#include "dashboard/ClusterConnection.h"
#include "dashboard/ClusterListModel.h"
#include "dashboard/EventLogModel.h"
#include "dashboard/HostListModel.h"
#include "dashboard/KeyTreeModel.h"
#include "dashboard/KeyTreeSource.h"
#include "dashboard/Preferences.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"
#include "dashboard/WallClock.h"

#include <QtQml/qqml.h>

struct ClusterStateForeign {
    Q_GADGET
    QML_FOREIGN(ClusterState)
    QML_NAMED_ELEMENT(ClusterState)
    QML_UNCREATABLE("owned by ClusterConnection")
};

struct KeyTreeSourceForeign {
    Q_GADGET
    QML_FOREIGN(KeyTreeSource)
    QML_NAMED_ELEMENT(KeyTreeSource)
    QML_UNCREATABLE("owned by ClusterConnection")
};

struct ClusterListModelForeign {
    Q_GADGET
    QML_FOREIGN(ClusterListModel)
    QML_NAMED_ELEMENT(ClusterListModel)
    QML_UNCREATABLE("abstract")
};

struct ClusterConnectionForeign {
    Q_GADGET
    QML_FOREIGN(ClusterConnection)
    QML_NAMED_ELEMENT(ClusterConnection)
};

struct HostListModelForeign {
    Q_GADGET
    QML_FOREIGN(HostListModel)
    QML_NAMED_ELEMENT(HostListModel)
};

struct BalancerListModelForeign {
    Q_GADGET
    QML_FOREIGN(BalancerListModel)
    QML_NAMED_ELEMENT(BalancerListModel)
};

struct ServiceTableModelForeign {
    Q_GADGET
    QML_FOREIGN(ServiceTableModel)
    QML_NAMED_ELEMENT(ServiceTableModel)
};

struct ServiceFilterModelForeign {
    Q_GADGET
    QML_FOREIGN(ServiceFilterModel)
    QML_NAMED_ELEMENT(ServiceFilterModel)
};

struct ServiceGroupModelForeign {
    Q_GADGET
    QML_FOREIGN(ServiceGroupModel)
    QML_NAMED_ELEMENT(ServiceGroupModel)
};

struct EventLogModelForeign {
    Q_GADGET
    QML_FOREIGN(EventLogModel)
    QML_NAMED_ELEMENT(EventLogModel)
};

struct KeyTreeModelForeign {
    Q_GADGET
    QML_FOREIGN(KeyTreeModel)
    QML_NAMED_ELEMENT(KeyTreeModel)
};

// One instance per engine: what the theme box saves, and the clock every "… ago" reads.
struct PreferencesForeign {
    Q_GADGET
    QML_FOREIGN(Preferences)
    QML_NAMED_ELEMENT(Preferences)
    QML_SINGLETON
};

struct WallClockForeign {
    Q_GADGET
    QML_FOREIGN(WallClock)
    QML_NAMED_ELEMENT(WallClock)
    QML_SINGLETON
};
