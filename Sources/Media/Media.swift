// placeholder, replaced below
public enum MediaPlaceholder {}
