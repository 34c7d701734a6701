import QtQuick
import QtQuick.Controls
import Portolan.Dashboard
import Portolan.Models

// One column title of the service table: a click sorts by the column (a second click flips the
// order); dragging the right edge resizes the column.
Rectangle {
    id: header
    required property int column
    required property string display
    required property ServiceFilterModel proxy
    required property string key          // stable name for objectNames: "address", "age", ...
    signal resizeRequested(int column, real width)
    readonly property string role: proxy.columnRoleName(column)
    readonly property bool active: proxy.sortRoleName === role
    objectName: "header_" + key
    implicitWidth: 80
    implicitHeight: 30
    color: mouse.containsMouse ? Theme.surfaceAlt : Theme.surface

    Label {
        textFormat: Text.PlainText
        anchors.fill: parent
        anchors.leftMargin: 8
        anchors.rightMargin: 10
        verticalAlignment: Text.AlignVCenter
        text: header.display + (header.active ? (header.proxy.ascending ? " ▲" : " ▼") : "")
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
    Rectangle { // bottom rule
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
    Item { // the column edge: drag to resize
        objectName: "resize_" + header.key
        anchors.right: parent.right
        width: 8
        height: parent.height
        Rectangle {
            anchors.right: parent.right
            anchors.verticalCenter: parent.verticalCenter
            width: 1
            height: parent.height - 12
            color: edge.containsMouse || edge.pressed ? Theme.accent : Theme.border
        }
        MouseArea {
            id: edge
            anchors.fill: parent
            hoverEnabled: true
            cursorShape: Qt.SplitHCursor
            preventStealing: true
            property real startX: 0
            property real startWidth: 0
            onPressed: m => {
                startX = mapToItem(null, m.x, 0).x
                startWidth = header.width
            }
            onPositionChanged: m => {
                if (pressed)
                    header.resizeRequested(header.column, startWidth + mapToItem(null, m.x, 0).x - startX)
            }
        }
    }
}
