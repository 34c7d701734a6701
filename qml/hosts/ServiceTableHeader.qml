import QtQuick
import QtQuick.Controls
import Portolan.Dashboard

// A clickable column title: sorts the table by `role`, a second click flips the order.
Rectangle {
    id: header
    required property string title
    required property string role
    required property QtObject proxy
    readonly property bool active: proxy.sortRoleName === role
    color: mouse.containsMouse ? Theme.surfaceAlt : "transparent"
    implicitHeight: 30
    Label {
        anchors.fill: parent
        anchors.leftMargin: 6
        verticalAlignment: Text.AlignVCenter
        text: header.title + (header.active ? (header.proxy.ascending ? " ▲" : " ▼") : "")
        font.bold: header.active
        color: header.active ? Theme.accent : Theme.subtext
        elide: Text.ElideRight
    }
    MouseArea {
        id: mouse
        anchors.fill: parent
        hoverEnabled: true
        cursorShape: Qt.PointingHandCursor
        onClicked: header.proxy.toggleSort(header.role)
    }
}
