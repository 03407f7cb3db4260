from django.contrib import admin

from donhang.catalog.models import Brand, Category, Product, ProductAttribute, ProductImage, Variant


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "path"]
    search_fields = ["name", "search_name"]
    readonly_fields = ["path"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


class ProductAttributeInline(admin.TabularInline):
    model = ProductAttribute
    extra = 0


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = [
        "sku",
        "barcode",
        "option1",
        "option2",
        "option3",
        "cost_price",
        "vat_rate",
        "sale_price",
        "weight_g",
        "low_stock_threshold",
        "is_active",
    ]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "brand", "is_active"]
    list_filter = ["is_active", "brand", "category"]
    search_fields = ["sku", "name", "search_text"]
    list_select_related = ["category", "brand"]
    inlines = [ProductAttributeInline, VariantInline, ProductImageInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["sku", "product", "options_label", "sale_price", "is_active"]
    search_fields = ["sku", "barcode", "search_text"]
    list_select_related = ["product"]
    raw_id_fields = ["product"]
