pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// Hosts as cards, counts, etcd health and an events-per-minute chart.
Item {
    id: view
    required property ClusterConnection connection
    // False while another view is shown (Main.qml): the models then hold their updates.
    property bool current: true
    property alias hostModel: hosts
    signal hostPicked(string hostname)
    function focusSearch() {}
    function bytes(n) {
        return n < 1024 ? n + " B" : n < 1048576 ? Math.round(n / 1024) + " KiB"
             : (n / 1048576).toFixed(1) + " MiB"
    }

    HostListModel { id: hosts; cluster: view.connection ? view.connection.state : null; active: view.current }
    ServiceGroupModel { id: groups; cluster: view.connection ? view.connection.state : null; active: view.current }
    EventLogModel { id: events; cluster: view.connection ? view.connection.state : null; active: view.current }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        StatusBanner {
            Layout.fillWidth: true
            status: hosts.statusName
            errorString: hosts.errorString
            stale: hosts.count > 0
            emptyText: hosts.count === 0
                       ? qsTr("Connected to %1, but no agent has registered a host under %2/hosts/ yet.")
                             .arg(view.connection.description).arg(view.connection.portolanPrefix)
                       : ""
        }

        RowLayout {
            spacing: 24
            Repeater {
                model: [
                    { label: qsTr("hosts up"), value: hosts.upCount, color: Theme.good },
                    { label: qsTr("hosts gone"), value: hosts.goneCount, color: hosts.goneCount ? Theme.bad : Theme.subtext },
                    { label: qsTr("service names"), value: groups.count, color: Theme.text },
                    { label: qsTr("events logged"), value: events.totalCount, color: Theme.text }
                ]
                delegate: Column {
                    id: figure
                    required property var modelData
                    Label { textFormat: Text.PlainText; text: figure.modelData.value; font.pixelSize: 26; font.bold: true; color: figure.modelData.color }
                    Label { textFormat: Text.PlainText; text: figure.modelData.label; color: Theme.subtext; font.pixelSize: 12 }
                }
            }
            Item { Layout.fillWidth: true }
            Column {
                objectName: "etcdHealth"
                visible: view.connection.mode === "etcd"
                Layout.alignment: Qt.AlignTop
                spacing: 2
                readonly property var h: view.connection.health
                Label {
                    textFormat: Text.PlainText
                    objectName: "etcdHealthTitle"
                    text: parent.h.ok === undefined ? qsTr("etcd health: checking…")
                          : parent.h.ok ? qsTr("etcd %1 at %2").arg(parent.h.version).arg(parent.h.endpoint)
                          : qsTr("etcd health: %1").arg(parent.h.error)
                    color: parent.h.ok === false ? Theme.bad : Theme.text
                    font.pixelSize: 13
                    font.bold: true
                }
                Label {
                    textFormat: Text.PlainText
                    objectName: "etcdHealthMembers"
                    visible: parent.h.ok === true
                    text: parent.h.members !== undefined
                          ? (parent.h.members.length === 1 ? qsTr("1 member: %1").arg(parent.h.members[0])
                                                           : qsTr("%1 members: %2").arg(parent.h.members.length)
                                                                 .arg(parent.h.members.join(", ")))
                          : parent.h.membersError !== undefined ? qsTr("members: %1").arg(parent.h.membersError)
                          : qsTr("members: reading…")
                    color: parent.h.membersError !== undefined ? Theme.warn : Theme.subtext
                    font.pixelSize: 12
                }
                Label {
                    textFormat: Text.PlainText
                    objectName: "etcdHealthLeader"
                    visible: parent.h.ok === true
                    text: (parent.h.hasLeader ? qsTr("has a leader") : qsTr("NO LEADER"))
                          + " · " + qsTr("db %1").arg(view.bytes(parent.h.dbSize || 0))
                          + " · " + qsTr("revision %1").arg(view.connection.state ? view.connection.state.revision : 0)
                    color: parent.h.hasLeader ? Theme.subtext : Theme.bad
                    font.pixelSize: 12
                }
                Timer {
                    interval: 10000; running: view.visible && view.connection.mode === "etcd"; repeat: true
                    onTriggered: view.connection.refreshHealth()
                }
            }
            Column {
                objectName: "feedSource"
                visible: view.connection.mode === "feed"
                Layout.alignment: Qt.AlignTop
                spacing: 2
                Label {
                    textFormat: Text.PlainText
                    text: qsTr("Live feed of the agent at %1").arg(view.connection.description.replace(/^the feed at /, ""))
                    color: Theme.text
                    font.pixelSize: 13
                    font.bold: true
                }
                Label {
                    textFormat: Text.PlainText
                    text: qsTr("etcd health is shown when connected to etcd directly.")
                    color: Theme.subtext
                    font.pixelSize: 12
                }
            }
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: 160
            color: Theme.surface
            border.color: Theme.border
            radius: Theme.radius
            EventRateChart {
                anchors.fill: parent
                anchors.margins: 12
                counts: events.minuteCounts
            }
        }

        GridView {
            id: grid
            objectName: "hostList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            cellWidth: 276
            cellHeight: 134
            model: hosts
            delegate: Item {
                id: cardCell
                width: grid.cellWidth
                height: grid.cellHeight
                required property string hostname
                required property string address
                required property bool up
                required property int serviceCount
                required property var lastEventTime
                required property string lastEvent
                required property string dockerVersion
                required property var goneAt
                HostCard {
                    anchors.fill: parent
                    anchors.rightMargin: 16
                    anchors.bottomMargin: 16
                    hostname: cardCell.hostname
                    address: cardCell.address
                    up: cardCell.up
                    serviceCount: cardCell.serviceCount
                    lastEventTime: cardCell.lastEventTime
                    lastEvent: cardCell.lastEvent
                    dockerVersion: cardCell.dockerVersion
                    goneAt: cardCell.goneAt
                    onPicked: name => view.hostPicked(name)
                }
            }
            Placeholder {
                hint: grid.count === 0 ? (hosts.statusName === "ready" ? qsTr("No hosts yet.")
                                                                        : qsTr("No hosts to show: see the banner above."))
                                       : ""
            }
            ScrollBar.vertical: ScrollBar {}
        }
    }
}
