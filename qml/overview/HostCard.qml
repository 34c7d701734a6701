import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard
import Portolan.Models

// One host: name, up or gone, address, service count, last event.
Rectangle {
    id: card
    required property string hostname
    required property string address
    required property bool up
    required property int serviceCount
    required property var lastEventTime
    required property string lastEvent
    required property string dockerVersion
    required property var goneAt
    signal picked(string hostname)

    implicitWidth: 260
    implicitHeight: 118
    radius: Theme.radius
    color: Theme.surface
    border.color: up ? Theme.border : Theme.bad
    opacity: up ? 1.0 : 0.75

    // `now` is the shared WallClock's: the binding that passes it re-evaluates as it ticks.
    function when(t, now) {
        if (!t || isNaN(t.getTime()))
            return ""
        const s = Math.max(0, Math.round((now.getTime() - t.getTime()) / 1000))
        return s < 60 ? qsTr("%1 s ago").arg(s) : s < 3600 ? qsTr("%1 min ago").arg(Math.floor(s / 60))
             : qsTr("%1 h ago").arg(Math.floor(s / 3600))
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 4
        RowLayout {
            spacing: 6
            Rectangle { width: 10; height: 10; radius: 5; color: card.up ? Theme.good : Theme.bad }
            Label {
                textFormat: Text.PlainText
                text: card.hostname
                font.bold: true
                font.pixelSize: 15
                color: Theme.text
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Label {
                textFormat: Text.PlainText
                text: card.up ? qsTr("up") : qsTr("gone")
                color: card.up ? Theme.good : Theme.bad
                font.pixelSize: 12
            }
        }
        Label {
            textFormat: Text.PlainText
            text: card.address !== "" ? card.address + (card.dockerVersion !== ""
                                                        ? " · Docker " + card.dockerVersion : "")
                                      : qsTr("no address published")
            color: Theme.subtext
            font.pixelSize: 12
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
        Label {
            textFormat: Text.PlainText
            text: card.serviceCount === 1 ? qsTr("1 service") : qsTr("%1 services").arg(card.serviceCount)
            color: Theme.text
            font.pixelSize: 13
        }
        Label {
            textFormat: Text.PlainText
            objectName: "hostCardLast"
            text: !card.up ? qsTr("gone %1").arg(card.when(card.goneAt, WallClock.now))
                 : card.lastEvent !== "" ? qsTr("last: %1, %2").arg(card.lastEvent)
                                           .arg(card.when(card.lastEventTime, WallClock.now))
                 : qsTr("no events yet")
            color: Theme.subtext
            font.pixelSize: 12
            elide: Text.ElideRight
            Layout.fillWidth: true
        }
    }
    MouseArea {
        anchors.fill: parent
        cursorShape: Qt.PointingHandCursor
        onClicked: card.picked(card.hostname)
    }
}
