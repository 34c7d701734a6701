pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// The live timeline with host/service/action filters, pause/resume and clear.
Item {
    id: view
    required property ClusterConnection connection
    // False while another view is shown (Main.qml): the models then hold their updates.
    property bool current: true
    property alias model: events
    function focusSearch() { hostFilter.forceActiveFocus() }

    EventLogModel { id: events; cluster: view.connection ? view.connection.state : null; active: view.current }
    HostListModel { id: hosts; cluster: view.connection ? view.connection.state : null; active: view.current }
    ServiceGroupModel { id: groups; cluster: view.connection ? view.connection.state : null; active: view.current }

    function names(model, role) {
        const out = []
        for (let i = 0; i < model.count; ++i)
            out.push(model.data(model.index(i, 0), role))
        return out
    }
    // A filter's choices: `all`, then `values`.
    function choices(all, values) {
        const out = [all]
        for (let i = 0; i < values.length; ++i)
            out.push(values[i])
        return out
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 8
        StatusBanner {
            Layout.fillWidth: true
            status: events.statusName
            errorString: events.errorString
            stale: events.count > 0
            emptyText: events.paused ? qsTr("Paused: %1 new events are waiting. Resume to see them.").arg(events.pendingCount)
                     : events.count === 0 ? (events.totalCount === 0 ? qsTr("No events yet: changes to hosts and services appear here as they happen.")
                                                                      : qsTr("No event matches the filters (or the log was cleared)."))
                     : ""
        }
        RowLayout {
            spacing: 8
            PlainComboBox {
                id: hostFilter
                objectName: "hostFilter"
                implicitWidth: 160
                model: view.choices(qsTr("all hosts"), hosts.count >= 0 ? view.names(hosts, HostListModel.HostnameRole) : [])
                onActivated: index => events.hostFilter = index === 0 ? "" : currentText
            }
            PlainComboBox {
                id: serviceFilter
                objectName: "serviceFilter"
                implicitWidth: 160
                model: view.choices(qsTr("all services"), groups.count >= 0 ? view.names(groups, ServiceGroupModel.NameRole) : [])
                onActivated: index => events.serviceFilter = index === 0 ? "" : currentText
            }
            ComboBox {
                id: actionFilter
                objectName: "actionFilter"
                implicitWidth: 140
                model: view.choices(qsTr("all actions"), events.actions)
                onActivated: index => events.actionFilter = index === 0 ? "" : currentText
            }
            Item { Layout.fillWidth: true }
            Label {
                textFormat: Text.PlainText
                text: qsTr("%1 shown").arg(events.count)
                color: Theme.subtext
            }
            Button {
                objectName: "pauseButton"
                text: events.paused ? qsTr("Resume (%1)").arg(events.pendingCount) : qsTr("Pause")
                onClicked: events.paused = !events.paused
            }
            Button {
                objectName: "clearButton"
                text: qsTr("Clear")
                onClicked: events.clear()
            }
        }
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.surface
            border.color: Theme.border
            radius: Theme.radius
            clip: true
            ListView {
                id: feed
                objectName: "eventFeed"
                anchors.fill: parent
                anchors.margins: 1
                clip: true
                model: events
                reuseItems: true // rows scrolled out by new ones become the new ones
                ScrollBar.vertical: ScrollBar {}
                delegate: Rectangle {
                    id: row
                    objectName: "eventRow"
                    required property int index
                    required property string timeText
                    required property string action
                    required property string host
                    required property string service
                    required property string serviceId
                    required property string address
                    required property var revision
                    // Computed once per row: the badge and its text share it.
                    readonly property color tone: Theme.actionColor(action)
                    width: feed.width
                    height: 30
                    color: index % 2 ? Theme.surfaceAlt : Theme.surface
                    // A Row of fixed widths, not a RowLayout: up to ten batches of rows a second
                    // arrive at the top and re-bind every visible row; a layout would also be
                    // polished for each.
                    Row {
                        x: 10
                        height: parent.height
                        spacing: 12
                        // Text, not Label: cheaper to re-bind.
                        Text { textFormat: Text.PlainText; text: row.timeText; color: Theme.subtext; font.family: Theme.monoFont; width: 96; height: parent.height; verticalAlignment: Text.AlignVCenter; elide: Text.ElideRight }
                        Rectangle {
                            width: 84
                            height: 20
                            y: 5
                            radius: 10
                            color: Qt.rgba(row.tone.r, row.tone.g, row.tone.b, 0.18)
                            Text { textFormat: Text.PlainText; anchors.centerIn: parent; text: row.action; color: row.tone; font.pixelSize: 12 }
                        }
                        Text { textFormat: Text.PlainText; text: row.host; color: Theme.text; font.bold: true; width: 110; height: parent.height; verticalAlignment: Text.AlignVCenter; elide: Text.ElideRight }
                        Text {
                            textFormat: Text.PlainText
                            text: row.service !== "" ? row.service + "  (" + row.serviceId + ")" : qsTr("host")
                            color: Theme.text
                            // What the fixed columns (and the margins, spacing) leave.
                            width: Math.max(60, row.width - 20 - 96 - 84 - 110 - 150 - 70 - 5 * 12)
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                            elide: Text.ElideRight
                        }
                        Text { textFormat: Text.PlainText; text: row.address; color: Theme.subtext; font.family: Theme.monoFont; width: 150; height: parent.height; verticalAlignment: Text.AlignVCenter; elide: Text.ElideRight }
                        Text {
                            // The feed's service frames carry no revision (it follows in the
                            // event frame), so only etcd gives a true one per event.
                            textFormat: Text.PlainText
                            text: view.connection.mode === "feed" ? "" : "rev " + row.revision
                            color: Theme.subtext
                            font.pixelSize: 11
                            width: 70
                            height: parent.height
                            verticalAlignment: Text.AlignVCenter
                        }
                    }
                }
            }
        }
    }
}
