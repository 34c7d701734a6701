pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// The running load balancers (portolan-lb): one card each with its driver and version, where it
// runs, its last apply and how, its last error (prominent), and the services it routes.
Item {
    id: view
    required property ClusterConnection connection
    // False while another view is shown (Main.qml): the model then holds its updates.
    property bool current: true
    property alias model: balancers

    // `now` is WallClock.now, so the text re-evaluates when the shared clock ticks.
    function ago(t, now) {
        if (!t || isNaN(t.getTime()))
            return ""
        const s = Math.max(0, Math.floor((now.getTime() - t.getTime()) / 1000))
        if (s < 60) return qsTr("%1 s ago").arg(s)
        if (s < 3600) return qsTr("%1 min ago").arg(Math.floor(s / 60))
        if (s < 86400) return qsTr("%1 h ago").arg(Math.floor(s / 3600))
        return qsTr("%1 d ago").arg(Math.floor(s / 86400))
    }
    function applyText(at, method, now) {
        const when = ago(at, now)
        if (when === "")
            return qsTr("not applied yet")
        return method !== "" ? qsTr("last applied %1 %2").arg(when).arg(method)
                             : qsTr("last applied %1").arg(when)
    }

    BalancerListModel {
        id: balancers
        cluster: view.connection ? view.connection.state : null
        active: view.current
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 8
        StatusBanner {
            Layout.fillWidth: true
            status: balancers.statusName
            errorString: balancers.errorString
            stale: balancers.count > 0
            emptyText: balancers.count === 0
                       ? qsTr("No load balancer is running: no portolan-lb keeps a record under %1/balancers/.")
                         .arg(view.connection ? view.connection.portolanPrefix : "/portolan")
                       : ""
        }
        Label {
            objectName: "balancerCount"
            textFormat: Text.PlainText
            text: (balancers.count === 1 ? qsTr("1 balancer") : qsTr("%1 balancers").arg(balancers.count))
                  + (balancers.errorCount > 0 ? qsTr(", %1 with an error").arg(balancers.errorCount) : "")
            color: balancers.errorCount > 0 ? Theme.bad : Theme.text
            font.pixelSize: 15
            font.bold: true
        }
        ListView {
            id: list
            objectName: "balancerList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 10
            model: balancers
            ScrollBar.vertical: ScrollBar {}
            delegate: Rectangle {
                id: card
                required property string name
                required property string host
                required property string driverText
                required property string version
                required property var startedAt
                required property var lastApplyAt
                required property string lastApplyText
                required property string lastError
                required property var lastErrorAt
                required property var routes
                objectName: "balancerCard"
                width: list.width - 12
                height: content.implicitHeight + 20
                color: Theme.surface
                border.color: lastError !== "" ? Theme.bad : Theme.border
                radius: Theme.radius
                ColumnLayout {
                    id: content
                    anchors.fill: parent
                    anchors.margins: 10
                    spacing: 6
                    RowLayout {
                        spacing: 10
                        Label {
                            objectName: "balancerName"
                            textFormat: Text.PlainText
                            text: card.name
                            color: Theme.text
                            font.family: Theme.monoFont
                            font.bold: true
                            font.pixelSize: 14
                        }
                        Label {
                            objectName: "balancerDriver"
                            textFormat: Text.PlainText
                            text: card.driverText !== "" ? card.driverText : qsTr("unknown driver")
                            color: Theme.accent
                            font.bold: true
                        }
                        Label {
                            objectName: "balancerHost"
                            textFormat: Text.PlainText
                            text: card.host !== "" ? qsTr("on %1").arg(card.host) : qsTr("host unknown")
                            color: Theme.text
                        }
                        Label {
                            textFormat: Text.PlainText
                            text: card.version !== "" ? qsTr("portolan-lb %1").arg(card.version) : ""
                            color: Theme.subtext
                            Layout.fillWidth: true
                            elide: Text.ElideRight
                        }
                        Label {
                            textFormat: Text.PlainText
                            text: {
                                const when = view.ago(card.startedAt, WallClock.now)
                                return when !== "" ? qsTr("started %1").arg(when) : ""
                            }
                            color: Theme.subtext
                        }
                    }
                    Label {
                        objectName: "balancerApplied"
                        textFormat: Text.PlainText
                        text: view.applyText(card.lastApplyAt, card.lastApplyText, WallClock.now)
                        color: Theme.subtext
                    }
                    Rectangle { // the last error: what an operator must look at first
                        objectName: "balancerError"
                        visible: card.lastError !== ""
                        Layout.fillWidth: true
                        implicitHeight: visible ? errorRow.implicitHeight + 14 : 0
                        radius: 4
                        color: Qt.rgba(Theme.bad.r, Theme.bad.g, Theme.bad.b, 0.14)
                        border.color: Theme.bad
                        RowLayout {
                            id: errorRow
                            anchors.fill: parent
                            anchors.margins: 7
                            spacing: 10
                            Label { textFormat: Text.PlainText; text: qsTr("LAST ERROR"); color: Theme.bad; font.bold: true; font.pixelSize: 11 }
                            Label {
                                objectName: "balancerErrorText"
                                textFormat: Text.PlainText
                                text: card.lastError
                                color: Theme.text
                                wrapMode: Text.Wrap
                                Layout.fillWidth: true
                            }
                            Label {
                                textFormat: Text.PlainText
                                text: view.ago(card.lastErrorAt, WallClock.now)
                                color: Theme.bad
                            }
                        }
                    }
                    Label {
                        visible: card.routes.length === 0
                        textFormat: Text.PlainText
                        text: qsTr("Routes no service (none of the registered services is selected for it).")
                        color: Theme.subtext
                        font.italic: true
                    }
                    Repeater {
                        model: card.routes
                        RowLayout {
                            id: route
                            required property var modelData
                            objectName: "balancerRoute"
                            readonly property string text: modelData.service + " → " + modelData.backend + ": " + modelData.text
                            spacing: 8
                            Layout.leftMargin: 12
                            Label { textFormat: Text.PlainText; text: route.modelData.service; color: Theme.text; Layout.preferredWidth: 200; elide: Text.ElideRight }
                            Label { textFormat: Text.PlainText; text: "→"; color: Theme.subtext }
                            Label {
                                textFormat: Text.PlainText
                                text: route.modelData.backend
                                color: Theme.subtext
                                font.family: Theme.monoFont
                                font.pixelSize: 12
                                Layout.preferredWidth: 260
                                elide: Text.ElideRight
                            }
                            Label {
                                textFormat: Text.PlainText
                                text: route.modelData.text
                                color: route.modelData.servers > 0 && route.modelData.ready === 0 ? Theme.bad
                                     : route.modelData.ready < route.modelData.servers ? Theme.warn : Theme.subtext
                                font.bold: route.modelData.servers > 0 && route.modelData.ready === 0
                            }
                        }
                    }
                }
            }
        }
    }
}
